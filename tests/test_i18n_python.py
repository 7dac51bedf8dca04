"""The texts the Python code shows (flashes, form labels and errors, error
pages, zxcvbn's advice) in the page's language, and each flash's category.

TranslatedTestCase makes a zh_TW catalogue of its own: every string
pybabel finds in app/*.py, translated as MARK and the English, so that a
text left out of gettext, or translated at import time instead of per
request, shows whatever the site's catalogue has. WTForms' own messages
come from the catalogue WTForms ships. tests/test_language.py checks the
site's own Chinese.
"""
import ast
import importlib.util
import inspect
import os
import re
import tempfile
import unittest

import flask_wtf.csrf
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from flask import get_flashed_messages
from flask_babel import Domain

import app
from app.auth import password_advice
from app.auth.forms import CSRF_ERRORS, wtforms_catalogue, zxcvbn
from app.main.errors import wait_in_words
from tests.messages import (
    BAD_EMAIL, CONFIRM_BAD, CONFIRM_SENT, CONFIRMATION_NOT_SENT_AFTER_REGISTER,
    CONFIRMED, CSRF_MISSING, INVALID_LOGIN, INVALID_REQUEST, LOGGED_OUT,
    LOGIN_REQUIRED, REQUIRED, RESET_SENT, TOO_EASY, TOO_SHORT, UNSUPPORTED,
    too_long)
from tests.support import (FlaskyTestCase, field_errors, flashes,
                           free_port)

ZH = {'Accept-Language': 'zh-TW'}
EN = {'Accept-Language': 'en'}
MARK = '〔譯〕'
# WTForms' message behind EMAIL_LENGTH, as its catalogue has it.
LENGTH_BETWEEN = 'Field must be between %(min)d and %(max)d characters long.'


def string_arguments(source, function):
    """The string literals passed first to calls of `function` (a name)
    in Python `source`."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args \
                and getattr(node.func, 'id', None) == function \
                and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            found.add(node.args[0].value)
    return found


def form_errors(page):
    """The form-level errors quick_form shows (the CSRF field's)."""
    return re.findall(r'<p class="error">(.*?)</p>', page, re.S)


def wtforms_chinese(message):
    """`message`, one of WTForms', in the zh_TW catalogue it ships."""
    return wtforms_catalogue('zh_TW').gettext(message)


class TranslatedTextsTestCase(unittest.TestCase):
    """Texts of other packages that we translate ourselves."""

    def test_every_zxcvbn_advice_is_listed(self):
        # zxcvbn marks each text with _(): a new one in an upgrade must
        # be added to password_advice.ADVICE.
        # Read, not imported: importing zxcvbn builds its dictionaries.
        package = importlib.util.find_spec('zxcvbn')
        path = os.path.join(package.submodule_search_locations[0],
                            'feedback.py')
        with open(path, encoding='utf-8') as f:
            texts = string_arguments(f.read(), '_')
        self.assertGreater(len(texts), 20)
        self.assertEqual(texts - password_advice.ADVICE, set())

    def test_every_csrf_error_is_listed(self):
        texts = string_arguments(inspect.getsource(flask_wtf.csrf),
                                 'ValidationError')
        self.assertIn(CSRF_MISSING, texts)
        self.assertEqual(texts - set(CSRF_ERRORS), set())

    def test_unknown_advice_stays_as_it_is(self):
        self.assertEqual(password_advice.translate('Something new.'),
                         'Something new.')
        self.assertEqual(password_advice.translate(''), '')


class WTFormsMessagesTestCase(FlaskyTestCase):
    """WTForms' own messages, through Flask-WTF and Flask-Babel's locale,
    in the catalogue WTForms ships."""
    csrf = False

    def test_the_catalogue_has_chinese(self):
        # Else the tests below would pass with English.
        for message in (REQUIRED, BAD_EMAIL, LENGTH_BETWEEN):
            with self.subTest(message=message):
                self.assertNotEqual(wtforms_chinese(message), message)

    def test_an_empty_form_in_chinese(self):
        response = self.client.post('/auth/login', data={}, headers=ZH)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(field_errors(self.page(response)),
                         [wtforms_chinese(REQUIRED)] * 2)

    def test_an_empty_form_in_english(self):
        for headers in ({}, EN):
            with self.subTest(headers=headers):
                response = self.client.post('/auth/login', data={},
                                            headers=headers)
                self.assertEqual(field_errors(self.page(response)),
                                 [REQUIRED] * 2)

    def test_email_errors_in_chinese(self):
        # 'Invalid email address.' is our CanonicalEmail's, in WTForms'
        # words and catalogue.
        for email, error in (
                ('not an address', wtforms_chinese(BAD_EMAIL)),
                ('a' * 60 + '@example.com',
                 wtforms_chinese(LENGTH_BETWEEN) % {'min': 1, 'max': 64})):
            with self.subTest(email=email):
                response = self.client.post('/auth/reset', headers=ZH,
                                            data={'email': email})
                self.assertEqual(field_errors(self.page(response))[0],
                                 error)


def build_catalogue(directory):
    """Write a zh_TW catalogue of every string pybabel finds in app/*.py,
    each translated as MARK and the English, under `directory`.

    Its folder has Babel's name for zh_TW, zh_Hant_TW: Flask-Babel looks
    for that (and then zh), not for zh_TW.
    """
    catalog = Catalog(locale='zh_TW')
    keywords = dict(DEFAULT_KEYWORDS, _l=None)
    for _, _, message, _, _ in extract_from_dir(
            os.path.dirname(app.__file__), [('**.py', 'python')],
            keywords=keywords):
        if isinstance(message, tuple):    # ngettext's singular and plural
            catalog.add(message,
                        (MARK + message[1],) * catalog.num_plurals)
        else:
            catalog.add(message, MARK + message)
    messages = os.path.join(directory, str(Locale.parse('zh_TW')),
                            'LC_MESSAGES')
    os.makedirs(messages)
    with open(os.path.join(messages, 'messages.mo'), 'wb') as f:
        write_mo(f, catalog)


class TranslatedTestCase(FlaskyTestCase):
    """The Python side's texts with a made-up zh_TW catalogue."""
    csrf = False
    config = {'RATELIMIT_ENABLED': False}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        directory = tempfile.TemporaryDirectory()
        cls.addClassCleanup(directory.cleanup)
        build_catalogue(directory.name)
        # A domain of its own: Flask-Babel's default one caches each
        # language's translations for the whole process, for every app.
        cls.domain = Domain(translation_directories=[directory.name])

    def setUp(self):
        super().setUp()
        # First of all, so that even the bodies refused before any view
        # are answered with it.
        self.app.before_request_funcs.setdefault(None, []).insert(
            0, self.domain.as_default)

    def login_page(self, headers, **data):
        return self.client.post('/auth/login', data=data, headers=headers,
                                follow_redirects=True)

    def test_flashes(self):
        self.add_user()
        page = self.page(self.login_page(ZH, email='john@example.com',
                                         password='wrong'))
        self.assertEqual(flashes(page), [MARK + INVALID_LOGIN])
        self.login_page(ZH, email='john@example.com', password='correct '
                        'horse battery staple')
        response = self.client.post('/auth/logout', headers=ZH,
                                    follow_redirects=True)
        self.assertEqual(flashes(self.page(response)), [MARK + LOGGED_OUT])

    def test_flashes_in_english(self):
        for headers in ({}, EN):
            with self.subTest(headers=headers):
                page = self.page(self.login_page(
                    headers, email='nobody@example.com', password='x'))
                self.assertEqual(flashes(page), [INVALID_LOGIN])
                self.assertIn('Keep me logged in', page)
                self.assertNotIn(MARK, page)

    def test_login_required_message(self):
        # Flask-Login flashes it as str() of the lazy string: the page
        # after the redirect shows it.
        response = self.client.get('/secret', headers=ZH,
                                   follow_redirects=True)
        self.assertEqual(response.request.path, '/auth/login')
        self.assertEqual(flashes(self.page(response)),
                         [MARK + LOGIN_REQUIRED])

    def test_lazy_constant_flashed(self):
        self.app.config['MAIL_PORT'] = free_port()   # nothing listens
        self.app.extensions['mail'].port = self.app.config['MAIL_PORT']
        with self.assertLogs(self.app.logger, 'ERROR'):
            response = self.client.post('/auth/register', headers=ZH, data={
                'email': 'john@example.com', 'username': 'john',
                'password': 'correct horse battery staple',
                'password2': 'correct horse battery staple'},
                follow_redirects=True)
        self.assertEqual(flashes(self.page(response)),
                         [MARK + CONFIRMATION_NOT_SENT_AFTER_REGISTER])

    def test_register_in_chinese(self):
        response = self.client.post('/auth/register', headers=ZH, data={
            'email': 'john@example.com', 'username': 'john',
            'password': 'correct horse battery staple',
            'password2': 'correct horse battery staple'},
            follow_redirects=True)
        self.assertEqual(flashes(self.page(response)), [MARK + CONFIRM_SENT])
        self.assertEqual(len(self.mail.wait_for(1)), 1)

    def test_form_labels(self):
        page = self.page(self.client.get('/auth/login', headers=ZH))
        for label in ('Email', 'Password'):
            with self.subTest(label=label):
                self.assertIn(f'>{MARK}{label}</label>', page)
        self.assertIn(f'> {MARK}Keep me logged in\n', page)
        self.assertIn(f'value="{MARK}Log In"', page)

    def password_errors(self, password):
        response = self.client.post('/auth/register', headers=ZH, data={
            'email': 'john@example.com', 'username': 'john',
            'password': password, 'password2': password})
        return field_errors(self.page(response))

    def test_password_policy(self):
        self.assertEqual(self.password_errors('short'), [MARK + TOO_SHORT])
        self.assertEqual(self.password_errors('x' * 129),
                         [MARK + too_long()])

    def test_zxcvbn_advice(self):
        feedback = zxcvbn('qwertyuiop', [])['feedback']
        advice = [feedback['warning']] + feedback['suggestions']
        self.assertEqual(len(advice), 2)
        self.assertEqual(
            self.password_errors('qwertyuiop'),
            [' '.join(MARK + text for text in [TOO_EASY] + advice)])

    def test_csrf_error(self):
        self.app.config['WTF_CSRF_ENABLED'] = True
        response = self.client.post('/auth/login', headers=ZH, data={
            'email': 'john@example.com', 'password': 'x'})
        self.assertEqual(form_errors(self.page(response)),
                         [MARK + CSRF_MISSING])

    def test_refused_body_page(self):
        response = self.client.post('/auth/login', headers=ZH, data='{}',
                                    content_type='application/json')
        self.assertEqual(response.status_code, 415)
        self.assertIn(MARK + UNSUPPORTED, self.page(response))

    def test_wait_in_words(self):
        with self.app.test_request_context(headers=ZH):
            self.domain.as_default()
            self.assertEqual(wait_in_words(40), MARK + '40 seconds')
            self.assertEqual(wait_in_words(300), MARK + '5 minutes')
        with self.app.test_request_context(headers=EN):
            self.domain.as_default()
            self.assertEqual(wait_in_words(40), '40 seconds')


class FlashCategoriesTestCase(FlaskyTestCase):
    """What a flash is: 'success' for a thing done, 'error' for a failure,
    'info' for news (an email sent, a login needed, logged out)."""
    csrf = False

    def flashed(self, url, data=None):
        """The (category, message) pairs a GET, or a POST of `data`,
        flashed: those the page it ends on showed."""
        with self.client:
            if data is None:
                self.client.get(url, follow_redirects=True)
            else:
                self.client.post(url, data=data, follow_redirects=True)
            return get_flashed_messages(with_categories=True)

    def test_categories(self):
        user_id = self.add_user(confirmed=False)
        self.assertEqual(self.flashed('/secret'), [('info', LOGIN_REQUIRED)])
        self.assertEqual(
            self.flashed('/auth/login', {'email': 'john@example.com',
                                         'password': 'wrong'}),
            [('error', INVALID_LOGIN)])
        self.assertEqual(
            self.flashed('/auth/reset', {'email': 'john@example.com'}),
            [('info', RESET_SENT)])
        self.login()
        self.assertEqual(self.flashed('/auth/confirm/nonsense'),
                         [('error', CONFIRM_BAD)])
        token = self.token_for(user_id, 'generate_confirmation_token')
        self.assertEqual(self.flashed(f'/auth/confirm/{token}'),
                         [('success', CONFIRMED)])
        self.assertEqual(self.flashed('/auth/change_email/nonsense'),
                         [('error', INVALID_REQUEST)])
        self.assertEqual(self.flashed('/auth/logout', {}),
                         [('info', LOGGED_OUT)])
