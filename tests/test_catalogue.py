"""The Traditional Chinese catalogue is complete, up to date with the
code, and compiled: `make translations` keeps it so."""
import os
import subprocess
import sys
import tempfile
import unittest

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRANSLATIONS = os.path.join(ROOT, 'app', 'translations')
# Babel's name for zh_TW, and so its folder's.
LOCALES = ['zh_Hant_TW']


def catalogue(locale, kind='po'):
    path = os.path.join(TRANSLATIONS, locale, 'LC_MESSAGES',
                        'messages.' + kind)
    with open(path, 'rb') as f:
        return (read_po if kind == 'po' else read_mo)(f)


def extract():
    """The messages of the code and templates, as `make translations`
    extracts them."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = os.path.join(tmp, 'messages.pot')
        subprocess.run(
            [sys.executable, '-m', 'babel.messages.frontend', '-q',
             'extract', '-F', 'babel.cfg', '-k', '_l', '-o', pot, 'app'],
            cwd=ROOT, check=True)
        with open(pot, 'rb') as f:
            return read_po(f)


def ids(catalogue):
    return {message.id if isinstance(message.id, str) else message.id[0]
            for message in catalogue if message.id}


class CatalogueTestCase(unittest.TestCase):

    def test_every_message_of_the_code_is_in_the_catalogue(self):
        wanted = ids(extract())
        self.assertGreater(len(wanted), 100)
        for locale in LOCALES:
            with self.subTest(locale=locale):
                missing = wanted - ids(catalogue(locale))
                self.assertEqual(missing, set(),
                                 'run `make translations`, then translate')

    def test_every_message_is_translated_and_none_is_fuzzy(self):
        for locale in LOCALES:
            po = catalogue(locale)
            for message in po:
                if not message.id:
                    continue
                with self.subTest(locale=locale, id=message.id):
                    self.assertFalse(message.fuzzy)
                    strings = (message.string
                               if isinstance(message.string, tuple)
                               else (message.string,))
                    self.assertTrue(all(strings), 'untranslated')
            self.assertEqual(list(po.obsolete), [])

    def test_placeholders_match(self):
        for locale in LOCALES:
            for message, errors in catalogue(locale).check():
                with self.subTest(locale=locale, id=message.id):
                    self.assertEqual(errors, [])

    def test_compiled_catalogue_matches_the_source(self):
        def entries(catalogue):
            # A plural entry's id and strings come as a list or a tuple.
            def key(value):
                return value if isinstance(value, str) else tuple(value)
            return {key(m.id): key(m.string) for m in catalogue if m.id}
        for locale in LOCALES:
            with self.subTest(locale=locale):
                source = entries(catalogue(locale))
                compiled = entries(catalogue(locale, 'mo'))
                self.assertEqual(compiled, source,
                                 'run `make translations` to compile')
