"""The email templates in each language: every sentence is a message for
the catalogue, and every email keeps its link and its layout."""
import os
import re
import unittest
from datetime import datetime, timezone
from types import SimpleNamespace

from babel import Locale
from flask import render_template
from flask_babel import force_locale, get_locale

from app import create_app
from app.i18n import LANGUAGES

TOKEN = 'eyJjb25maXJtIjoxfQ.aBcDeF.sIgNaTuRe-_0123'
# What the views pass to the email templates; each uses some of it.
CONTEXT = dict(
    user=SimpleNamespace(username='john'), token=TOKEN,
    undo_token='undo-' + TOKEN, old_email='john@example.com',
    new_email='susan@example.org',
    when=datetime(2026, 3, 4, 5, 6, tzinfo=timezone.utc))
# Each email (its templates' name in auth/email/) and its link, if any.
EMAILS = {
    'confirm': f'http://localhost/auth/confirm/{TOKEN}',
    'reset_password': f'http://localhost/auth/reset/{TOKEN}',
    'change_email': f'http://localhost/auth/change_email/{TOKEN}',
    'password_changed': 'http://localhost/auth/reset',
    'email_changed': f'http://localhost/auth/change_email/undo/undo-{TOKEN}',
    'email_restored': f'http://localhost/auth/reset/{TOKEN}',
    'email_change_undone': None,
}
PARTS = ('txt', 'html')
# Template syntax that must never reach an email.
LEFTOVERS = ('{%', '%}', '{{', '}}', '{#', '_(', '%(')
# A pseudo-translation: every message, and nothing else, between these.
OPEN, CLOSE = '\u27e6', '\u27e7'


class EmailI18nTestCase(unittest.TestCase):

    def setUp(self):
        self.app = create_app('testing')

    def render(self, name, part, locale='en'):
        """The `part` ('txt' or 'html') of email `name`, in `locale`."""
        with self.app.test_request_context(), force_locale(locale):
            self.assertEqual(get_locale(), Locale.parse(locale))
            return render_template(f'auth/email/{name}.{part}', **CONTEXT)

    def each_email(self, locales=LANGUAGES):
        """(name, part, locale, link) for every email in `locales`."""
        for name, link in EMAILS.items():
            for part in PARTS:
                for locale in locales:
                    yield name, part, locale, link

    def test_every_email_template_is_tested(self):
        folder = os.path.join(self.app.root_path, 'templates', 'auth',
                              'email')
        # Less the parts other emails include (a leading _).
        emails = [name for name in os.listdir(folder)
                  if not name.startswith('_')]
        self.assertEqual(sorted(emails), sorted(
            f'{name}.{part}' for name in EMAILS for part in PARTS))

    def test_no_template_syntax_left(self):
        for name, part, locale, _ in self.each_email():
            with self.subTest(email=name, part=part, locale=locale):
                email = self.render(name, part, locale)
                for leftover in LEFTOVERS:
                    self.assertNotIn(leftover, email)

    def test_text_link_on_a_line_of_its_own(self):
        for name, part, locale, link in self.each_email():
            if part != 'txt':
                continue
            with self.subTest(email=name, locale=locale):
                lines = self.render(name, part, locale).split('\n')
                if link is None:
                    self.assertFalse([x for x in lines if 'http' in x])
                    continue
                at = lines.index(link)
                self.assertEqual((lines[at - 1], lines[at + 1]), ('', ''))

    def test_html_link(self):
        for name, part, locale, link in self.each_email():
            if part != 'html' or link is None:
                continue
            with self.subTest(email=name, locale=locale):
                self.assertIn(f'<a href="{link}">',
                              self.render(name, part, locale))

    def test_english_paragraphs(self):
        for name, part, locale, _ in self.each_email(['en']):
            with self.subTest(email=name, part=part):
                email = self.render(name, part, locale)
                if part == 'html':
                    self.assertTrue(email.startswith('<p>Dear john,</p>\n'))
                    continue
                self.assertTrue(email.startswith('Dear john,\n\n'))
                self.assertTrue(email.endswith(
                    '\n\nSincerely,\n\nThe Flasky Team\n\nNote: replies to '
                    'this email address are not monitored.'))
                self.assertNotIn('\n\n\n', email)

    def test_every_sentence_is_a_message(self):
        # With the pseudo-translation, an email has nothing outside the
        # messages but its markup and its link.
        self.app.jinja_env.install_gettext_callables(
            lambda s: OPEN + s + CLOSE,
            lambda s, p, n: OPEN + (s if n == 1 else p) + CLOSE,
            newstyle=True)
        for name, part, locale, link in self.each_email(['en']):
            with self.subTest(email=name, part=part):
                email = self.render(name, part, locale)
                self.assertIn(f'{OPEN}Dear john,{CLOSE}', email)
                rest = re.sub(f'{OPEN}.*?{CLOSE}', '', email, flags=re.S)
                if link is not None:
                    rest = rest.replace(link, '')
                self.assertEqual(re.sub(r'<[^>]*>|\s', '', rest), '', email)

if __name__ == '__main__':
    unittest.main()
