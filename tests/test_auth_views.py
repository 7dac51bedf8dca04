"""Every route of the URL map and every failure path, through the client.

The messages asserted here are the ones DESIGN.md lists (in
tests/messages.py); a change of wording is a change of contract.
"""
import re
from unittest import mock
from urllib.parse import urlencode, urljoin

from app import db
from app.models import User
from tests.messages import (
    BAD_EMAIL, BAD_USERNAME, CONFIRM_BAD, CONFIRM_RESENT, CONFIRM_SENT,
    CONFIRM_SUBJECT, CONFIRMED, CSRF_INVALID, CSRF_MISSING,
    EMAIL_CHANGE_SENT, EMAIL_CHANGE_SUBJECT, EMAIL_LENGTH, EMAIL_TAKEN,
    EMAIL_UPDATED, HELLO_STRANGER, INVALID_LOGIN, INVALID_PASSWORD,
    INVALID_REQUEST, LOGGED_OUT, NOT_FOUND, PASSWORD_UPDATED,
    PASSWORDS_DIFFER, REQUIRED, RESET_BAD, RESET_SENT, RESET_SUBJECT,
    SUBJECT_PREFIX, UNCONFIRMED, USERNAME_TAKEN, hello, logged_in_as)
from tests.support import (NAVBAR_BRAND, NEW_PASSWORD, PASSWORD,
                           FlaskyTestCase, clock_shifted, field_errors,
                           flashes, link_in)



def navbar_links(page):
    """(href, text) of each link in the right-hand side of the navbar."""
    match = re.search(r'<ul class="nav navbar-nav navbar-right">(.*?)</div>',
                      page, re.S)
    if match is None:
        raise AssertionError('no navbar on the page')
    return [(href, re.sub(r'<[^>]+>', '', text).strip())
            for href, text in re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>',
                                         match.group(1), re.S)]


def form_errors(page):
    """The form-level errors quick_form shows (the CSRF field's)."""
    return re.findall(r'<p class="error">(.*?)</p>', page, re.S)


def tamper(token):
    """The token with one character of its signature changed."""
    payload, timestamp, signature = token.rsplit('.', 2)
    i = len(signature) // 2
    char = 'A' if signature[i] != 'A' else 'B'
    return '.'.join([payload, timestamp,
                     signature[:i] + char + signature[i + 1:]])


class AuthViewsTestCase(FlaskyTestCase):
    """The base, with assertions about where a response sends the browser.
    """

    def assertRedirects(self, response, target):
        """A 302 whose Location resolves to exactly `target` on this site.
        """
        self.assertEqual(response.status_code, 302)
        self.assertEqual(
            urljoin(response.request.url, response.headers['Location']),
            'http://localhost' + target)

    def assertLandedOn(self, response, path):
        """Followed redirects (every one a 302) ended at `path` with 200."""
        for step in response.history:
            self.assertEqual(step.status_code, 302, step.request.path)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.request.path, path)

    def assertLoggedOut(self):
        response = self.client.get('/')
        self.assertEqual(response.status_code, 200)
        self.assertIn(HELLO_STRANGER, self.page(response))

    def assertLoggedInAs(self, username):
        response = self.client.get('/secret')
        self.assertEqual(response.status_code, 200)
        self.assertIn(logged_in_as(username), self.page(response))

    def assertNoMail(self):
        # Mail goes out before the response in testing: nothing to wait for.
        self.assertEqual(self.mail.messages, [])

    def login_unconfirmed(self):
        user_id = self.add_user(confirmed=False)
        self.assertLandedOn(self.login(), '/auth/unconfirmed')
        return user_id


class IndexTestCase(AuthViewsTestCase):

    def test_anonymous_is_greeted_as_stranger(self):
        response = self.client.get('/')
        self.assertEqual(response.status_code, 200)
        self.assertIn(HELLO_STRANGER, self.page(response))

    def test_logged_in_user_is_greeted_by_name(self):
        self.add_user()
        self.login()
        response = self.client.get('/')
        self.assertEqual(response.status_code, 200)
        self.assertIn(hello('john'), self.page(response))
        self.assertNotIn(HELLO_STRANGER, self.page(response))

    def test_navbar_offers_log_in_to_anonymous(self):
        response = self.client.get('/')
        self.assertEqual(response.status_code, 200)
        self.assertEqual(navbar_links(self.page(response)),
                         [('/auth/login', 'Log In')])

    def test_navbar_shows_account_menu_when_logged_in(self):
        self.add_user()
        self.login()
        response = self.client.get('/')
        self.assertEqual(response.status_code, 200)
        self.assertEqual(navbar_links(self.page(response)), [
            ('#', 'Account'),
            ('/auth/account', 'Account'),
            ('/auth/change-password', 'Change Password'),
            ('/auth/change_email', 'Change Email'),
            ('/auth/sessions', 'Sessions'),
        ])
        # Log Out is a button that posts a form with the CSRF token.
        self.assertRegex(self.page(response), re.compile(
            r'<form method="post" action="/auth/logout">\s*'
            r'<input name="csrf_token" type="hidden" value="[^"]+">\s*'
            r'<button type="submit" class="link-button">Log Out</button>'))


class SecretTestCase(AuthViewsTestCase):

    def test_anonymous_is_sent_to_login_with_next(self):
        response = self.client.get('/secret')
        self.assertRedirects(response, '/auth/login?next=%2Fsecret')

    def test_confirmed_user_sees_secret_page(self):
        self.add_user()
        self.login()
        response = self.client.get('/secret')
        self.assertEqual(response.status_code, 200)
        self.assertIn(logged_in_as('john'), self.page(response))


class LoginTestCase(AuthViewsTestCase):

    def setUp(self):
        super().setUp()
        self.user_id = self.add_user()

    def test_login_page_shows_the_form(self):
        response = self.client.get('/auth/login')
        self.assertEqual(response.status_code, 200)
        page = self.page(response)
        for name in ('email', 'password', 'remember_me', 'submit'):
            self.assertIn(f'name="{name}"', page)

    def test_login_redirects_to_index(self):
        response = self.submit('/auth/login', dict(
            email='john@example.com', password=PASSWORD),
            follow_redirects=False)
        self.assertRedirects(response, '/')

    def test_login_logs_the_user_in(self):
        response = self.login()
        self.assertLandedOn(response, '/')
        self.assertIn(hello('john'), self.page(response))
        self.assertLoggedInAs('john')

    def test_wrong_password_is_refused(self):
        response = self.login(password=NEW_PASSWORD)
        self.assertLandedOn(response, '/auth/login')
        self.assertEqual(flashes(self.page(response)), [INVALID_LOGIN])
        self.assertLoggedOut()

    def test_unknown_email_is_refused(self):
        response = self.login(email='nobody@example.com')
        self.assertLandedOn(response, '/auth/login')
        self.assertEqual(flashes(self.page(response)), [INVALID_LOGIN])
        self.assertLoggedOut()

    def test_email_matches_in_any_case_and_with_spaces(self):
        for email in ('JOHN@EXAMPLE.COM', 'John@Example.com',
                      '  john@example.com  ', ' JoHn@example.COM\t'):
            with self.subTest(email=email):
                self.client = self.app.test_client()
                response = self.login(email=email)
                self.assertLandedOn(response, '/')
                self.assertLoggedInAs('john')

    def test_remember_me_sets_remember_cookie(self):
        self.assertLandedOn(self.login(remember_me=True), '/')
        self.assertIsNotNone(self.client.get_cookie('remember_token'))

    def test_no_remember_me_sets_no_remember_cookie(self):
        self.assertLandedOn(self.login(remember_me=False), '/')
        self.assertIsNone(self.client.get_cookie('remember_token'))

    def test_remember_cookie_logs_back_in_without_session(self):
        self.assertLandedOn(self.login(remember_me=True), '/')
        self.client.delete_cookie('session')
        self.assertLoggedInAs('john')

    def test_session_without_remember_me_ends_with_it(self):
        self.assertLandedOn(self.login(remember_me=False), '/')
        self.client.delete_cookie('session')
        self.assertLoggedOut()

    def test_missing_csrf_token_does_not_log_in(self):
        response = self.client.post('/auth/login', data=dict(
            email='john@example.com', password=PASSWORD))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(form_errors(self.page(response)), [CSRF_MISSING])
        self.assertLoggedOut()

    def test_wrong_csrf_token_does_not_log_in(self):
        self.client.get('/auth/login')
        response = self.client.post('/auth/login', data=dict(
            email='john@example.com', password=PASSWORD,
            csrf_token='not-a-token'))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(form_errors(self.page(response)), [CSRF_INVALID])
        self.assertLoggedOut()

    def test_badly_formed_email_is_a_field_error(self):
        response = self.login(email='john.example.com')
        self.assertLandedOn(response, '/auth/login')
        self.assertEqual(field_errors(self.page(response)), [BAD_EMAIL])
        self.assertEqual(flashes(self.page(response)), [])
        self.assertLoggedOut()

    def test_empty_fields_are_required(self):
        response = self.login(email='', password='')
        self.assertLandedOn(response, '/auth/login')
        self.assertEqual(field_errors(self.page(response)),
                         [REQUIRED, REQUIRED])
        self.assertLoggedOut()


class LoginNextTestCase(AuthViewsTestCase):

    def setUp(self):
        super().setUp()
        self.add_user()

    def login_to(self, query):
        """POST a good login to /auth/login?<query>; don't follow."""
        return self.submit('/auth/login?' + query, dict(
            email='john@example.com', password=PASSWORD),
            follow_redirects=False)

    def test_safe_next_is_followed(self):
        response = self.login_to('next=%2Fsecret')
        self.assertRedirects(response, '/secret')

    def test_next_from_login_required_round_trip(self):
        login_url = self.client.get('/secret').headers['Location']
        response = self.login(url=login_url)
        self.assertLandedOn(response, '/secret')
        self.assertIn(logged_in_as('john'), self.page(response))

    def test_hostile_next_lands_on_index(self):
        raw = ['//evil.example', 'https://evil.example',
               'http://evil.example/x', '/\\evil.example',
               '\\\\evil.example', 'javascript:alert(1)',
               '///evil.example', '/\t/evil.example',
               '/\r\n/evil.example', '/\n/evil.example',
               '\t//evil.example', ' //evil.example',
               'HTTPS://evil.example', '//evil.example/secret',
               '/\\/evil.example', 'evil.example']
        encoded = ['next=%2F%2Fevil.example',
                   'next=https%3A%2F%2Fevil.example',
                   'next=%2F%5Cevil.example',
                   'next=%5C%5Cevil.example',
                   'next=%2F%09%2Fevil.example',
                   'next=%2F%0D%0A%2Fevil.example',
                   'next=%252F%252Fevil.example',
                   'next=javascript%3Aalert%281%29']
        queries = [urlencode({'next': n}) for n in raw] + encoded
        for query in queries:
            with self.subTest(query=query):
                self.client = self.app.test_client()
                response = self.login_to(query)
                self.assertRedirects(response, '/')


class LogoutTestCase(AuthViewsTestCase):

    def test_logout_flashes_and_logs_out(self):
        self.add_user()
        self.login()
        response = self.logout()
        self.assertLandedOn(response, '/')
        self.assertEqual(flashes(self.page(response)), [LOGGED_OUT])
        self.assertIn(HELLO_STRANGER, self.page(response))
        self.assertEqual(self.client.get('/secret').status_code, 302)

    def test_logout_forgets_remember_me(self):
        self.add_user()
        self.assertLandedOn(self.login(remember_me=True), '/')
        self.assertLandedOn(self.logout(), '/')
        self.assertIsNone(self.client.get_cookie('remember_token'))
        self.client.delete_cookie('session')
        self.assertLoggedOut()

    def test_logout_when_anonymous_redirects_to_login(self):
        response = self.client.get('/auth/logout')
        self.assertRedirects(response, '/auth/login?next=%2Fauth%2Flogout')


class RegisterTestCase(AuthViewsTestCase):

    def test_register_page_shows_the_form(self):
        response = self.client.get('/auth/register')
        self.assertEqual(response.status_code, 200)
        page = self.page(response)
        for name in ('email', 'username', 'password', 'password2'):
            self.assertIn(f'name="{name}"', page)

    def test_register_flashes_and_redirects_to_login(self):
        response = self.register()
        self.assertLandedOn(response, '/auth/login')
        self.assertEqual(flashes(self.page(response)), [CONFIRM_SENT])

    def test_register_creates_one_unconfirmed_lowercased_user(self):
        self.assertLandedOn(self.register(email='John@Example.COM'),
                            '/auth/login')
        self.assertEqual(self.user_count(), 1)
        user = self.get_user('john@example.com')
        self.assertIsNotNone(user)
        self.assertEqual(user.username, 'john')
        self.assertFalse(user.confirmed)
        self.assertTrue(user.verify_password(PASSWORD))

    def test_register_sends_confirmation_email(self):
        self.assertLandedOn(self.register(), '/auth/login')
        [msg] = self.mail.wait_for(1)
        self.assertEqual(msg['Subject'], SUBJECT_PREFIX + CONFIRM_SUBJECT)
        self.assertEqual(msg['To'], 'john@example.com')
        self.assertTrue(
            link_in(msg).startswith('http://localhost/auth/confirm/'))

    def test_accepts_letters_digits_dots_underscores(self):
        response = self.register(username='John.Doe_2')
        self.assertLandedOn(response, '/auth/login')
        self.assertEqual(self.get_user('john@example.com').username,
                         'John.Doe_2')

    def assertRegisterRefused(self, response, error):
        self.assertLandedOn(response, '/auth/register')
        self.assertIn(error, field_errors(self.page(response)))
        self.assertEqual(flashes(self.page(response)), [])

    def test_duplicate_email_in_any_case_is_refused(self):
        self.add_user()
        for email in ('john@example.com', 'JOHN@EXAMPLE.COM',
                      ' John@Example.com '):
            with self.subTest(email=email):
                response = self.register(email=email, username='johnny')
                self.assertRegisterRefused(response, EMAIL_TAKEN)
                self.assertEqual(self.user_count(), 1)
        self.assertNoMail()

    def test_duplicate_username_is_refused(self):
        self.add_user()
        response = self.register(email='other@example.com')
        self.assertRegisterRefused(response, USERNAME_TAKEN)
        self.assertEqual(self.user_count(), 1)
        self.assertNoMail()

    def test_bad_usernames_are_refused(self):
        for username in ('1john', 'jo hn', 'john!', '_john', '.john',
                         'john-doe', 'jöhn', 'john@x'):
            with self.subTest(username=username):
                response = self.register(username=username)
                self.assertRegisterRefused(response, BAD_USERNAME)
                self.assertEqual(self.user_count(), 0)
        self.assertNoMail()

    def test_password_mismatch_is_refused(self):
        response = self.register(password=PASSWORD, password2=NEW_PASSWORD)
        self.assertRegisterRefused(response, PASSWORDS_DIFFER)
        self.assertEqual(self.user_count(), 0)
        self.assertNoMail()

    def test_missing_fields_are_required(self):
        response = self.submit('/auth/register', {})
        self.assertLandedOn(response, '/auth/register')
        self.assertEqual(field_errors(self.page(response)),
                         [REQUIRED] * 4)
        self.assertEqual(self.user_count(), 0)
        self.assertNoMail()

    def test_each_missing_field_is_required(self):
        full = dict(email='john@example.com', username='john',
                    password=PASSWORD, password2=PASSWORD)
        for name in full:
            with self.subTest(missing=name):
                data = dict(full, **{name: ''})
                response = self.submit('/auth/register', data)
                self.assertRegisterRefused(response, REQUIRED)
                self.assertEqual(self.user_count(), 0)

    def test_very_long_email_is_a_field_error(self):
        email = 'a' * (5000 - len('@example.com')) + '@example.com'
        self.assertEqual(len(email), 5000)
        response = self.register(email=email)
        self.assertRegisterRefused(response, EMAIL_LENGTH)
        self.assertEqual(self.user_count(), 0)
        self.assertNoMail()

    def test_email_taken_during_submit_is_a_field_error(self):
        # A double submit: the email is free when the form checks it, and
        # taken by the time the new user is committed.
        self.add_user(username='first')
        with mock.patch('app.auth.forms.email_taken',
                        side_effect=[False, True]):
            response = self.register()
        self.assertRegisterRefused(response, EMAIL_TAKEN)
        self.assertEqual(self.user_count(), 1)
        self.assertNoMail()

    def test_missing_csrf_token_creates_no_user(self):
        response = self.client.post('/auth/register', data=dict(
            email='john@example.com', username='john', password=PASSWORD,
            password2=PASSWORD))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(form_errors(self.page(response)), [CSRF_MISSING])
        self.assertEqual(self.user_count(), 0)


class UnconfirmedGateTestCase(AuthViewsTestCase):

    def test_unconfirmed_user_is_sent_from_index(self):
        self.login_unconfirmed()
        response = self.client.get('/')
        self.assertRedirects(response, '/auth/unconfirmed')

    def test_unconfirmed_user_is_sent_from_secret(self):
        self.login_unconfirmed()
        response = self.client.get('/secret')
        self.assertRedirects(response, '/auth/unconfirmed')

    def test_unconfirmed_page_greets_and_offers_resend(self):
        self.login_unconfirmed()
        response = self.client.get('/auth/unconfirmed')
        self.assertEqual(response.status_code, 200)
        page = self.page(response)
        self.assertIn(hello('john'), page)
        self.assertIn(UNCONFIRMED, page)
        self.assertIn('<form method="post" action="/auth/confirm">', page)

    def test_unconfirmed_user_reaches_auth_pages(self):
        self.login_unconfirmed()
        for url in ('/auth/unconfirmed', '/auth/login', '/auth/register',
                    '/auth/change-password', '/auth/change_email'):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)

    def test_unconfirmed_user_reaches_static_files(self):
        self.login_unconfirmed()
        for url in ('/static/favicon.ico',
                    '/static/vendor/bootstrap/css/bootstrap.min.css',
                    '/static/vendor/jquery/jquery.min.js',
                    '/flask-moment.js'):
            with self.subTest(url=url):
                with self.client.get(url) as response:
                    self.assertEqual(response.status_code, 200)
                    self.assertTrue(response.get_data())

    def test_unconfirmed_user_can_log_out(self):
        self.login_unconfirmed()
        response = self.logout()
        self.assertLandedOn(response, '/')
        self.assertEqual(flashes(self.page(response)), [LOGGED_OUT])

    def test_unconfirmed_page_sends_anonymous_to_index(self):
        response = self.client.get('/auth/unconfirmed')
        self.assertRedirects(response, '/')

    def test_unconfirmed_page_sends_confirmed_user_to_index(self):
        self.add_user()
        self.login()
        response = self.client.get('/auth/unconfirmed')
        self.assertRedirects(response, '/')


class ConfirmTestCase(AuthViewsTestCase):

    def test_valid_link_confirms_account(self):
        user_id = self.login_unconfirmed()
        token = self.token_for(user_id, 'generate_confirmation_token')
        response = self.client.get(f'/auth/confirm/{token}',
                                   follow_redirects=True)
        self.assertLandedOn(response, '/')
        self.assertEqual(flashes(self.page(response)), [CONFIRMED])
        self.assertTrue(self.get_user(id=user_id).confirmed)

    def test_link_from_registration_email_confirms_account(self):
        self.assertLandedOn(self.register(), '/auth/login')
        [msg] = self.mail.wait_for(1)
        self.assertLandedOn(self.login(), '/auth/unconfirmed')
        response = self.client.get(link_in(msg), follow_redirects=True)
        self.assertLandedOn(response, '/')
        self.assertEqual(flashes(self.page(response)), [CONFIRMED])
        self.assertTrue(self.get_user('john@example.com').confirmed)

    def assertConfirmRefused(self, user_id, token):
        response = self.client.get(f'/auth/confirm/{token}',
                                   follow_redirects=True)
        self.assertLandedOn(response, '/auth/unconfirmed')
        self.assertEqual(flashes(self.page(response)), [CONFIRM_BAD])
        self.assertFalse(self.get_user(id=user_id).confirmed)

    def test_bad_token_is_refused(self):
        user_id = self.login_unconfirmed()
        self.assertConfirmRefused(user_id, 'not-a-token')

    def test_tampered_token_is_refused(self):
        user_id = self.login_unconfirmed()
        token = self.token_for(user_id, 'generate_confirmation_token')
        self.assertConfirmRefused(user_id, tamper(token))

    def test_other_users_token_is_refused(self):
        user_id = self.login_unconfirmed()
        other_id = self.add_user(email='susan@example.com',
                                 username='susan', confirmed=False)
        token = self.token_for(other_id, 'generate_confirmation_token')
        self.assertConfirmRefused(user_id, token)
        self.assertFalse(self.get_user(id=other_id).confirmed)

    def test_expired_token_is_refused(self):
        user_id = self.login_unconfirmed()
        with clock_shifted(-7200):
            token = self.token_for(user_id, 'generate_confirmation_token')
        self.assertConfirmRefused(user_id, token)

    def test_short_lived_token_is_refused_after_expiry(self):
        user_id = self.login_unconfirmed()
        with clock_shifted(-61):
            token = self.token_for(user_id, 'generate_confirmation_token',
                                   expiration=60)
        self.assertConfirmRefused(user_id, token)

    def test_reset_token_does_not_confirm(self):
        user_id = self.login_unconfirmed()
        token = self.token_for(user_id, 'generate_reset_token')
        self.assertConfirmRefused(user_id, token)

    def test_anonymous_is_sent_to_login(self):
        user_id = self.add_user(confirmed=False)
        token = self.token_for(user_id, 'generate_confirmation_token')
        response = self.client.get(f'/auth/confirm/{token}')
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response.headers['Location'].startswith(
            '/auth/login?next=%2Fauth%2Fconfirm%2F'))
        self.assertFalse(self.get_user(id=user_id).confirmed)

    def test_already_confirmed_user_is_sent_to_index(self):
        user_id = self.add_user(confirmed=True)
        self.login()
        token = self.token_for(user_id, 'generate_confirmation_token')
        response = self.client.get(f'/auth/confirm/{token}')
        self.assertRedirects(response, '/')
        self.assertTrue(self.get_user(id=user_id).confirmed)


class ResendConfirmationTestCase(AuthViewsTestCase):

    def test_resend_flashes(self):
        self.login_unconfirmed()
        response = self.resend_confirmation()
        self.assertLandedOn(response, '/auth/unconfirmed')
        self.assertEqual(flashes(self.page(response)), [CONFIRM_RESENT])

    def test_resent_email_link_confirms_account(self):
        user_id = self.login_unconfirmed()
        response = self.resend_confirmation()
        self.assertLandedOn(response, '/auth/unconfirmed')
        [msg] = self.mail.wait_for(1)
        self.assertEqual(msg['Subject'], SUBJECT_PREFIX + CONFIRM_SUBJECT)
        self.assertEqual(msg['To'], 'john@example.com')
        response = self.client.get(link_in(msg), follow_redirects=True)
        self.assertLandedOn(response, '/')
        self.assertEqual(flashes(self.page(response)), [CONFIRMED])
        self.assertTrue(self.get_user(id=user_id).confirmed)

    def test_anonymous_is_sent_to_login(self):
        response = self.client.get('/auth/confirm')
        self.assertRedirects(response, '/auth/login?next=%2Fauth%2Fconfirm')
        self.assertNoMail()


class ChangePasswordTestCase(AuthViewsTestCase):
    url = '/auth/change-password'

    def setUp(self):
        super().setUp()
        self.user_id = self.add_user()
        self.login()

    def change(self, old=PASSWORD, new=NEW_PASSWORD, new2=None):
        return self.submit(self.url, dict(
            old_password=old, password=new,
            password2=new if new2 is None else new2))

    def test_page_shows_the_form(self):
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        for name in ('old_password', 'password', 'password2'):
            self.assertIn(f'name="{name}"', self.page(response))

    def test_change_flashes_and_redirects_to_index(self):
        response = self.change()
        self.assertLandedOn(response, '/')
        self.assertEqual(flashes(self.page(response)), [PASSWORD_UPDATED])

    def test_new_password_works_and_old_fails(self):
        self.assertLandedOn(self.change(), '/')
        user = self.get_user(id=self.user_id)
        self.assertTrue(user.verify_password(NEW_PASSWORD))
        self.assertFalse(user.verify_password(PASSWORD))
        self.logout()
        response = self.login(password=PASSWORD)
        self.assertEqual(flashes(self.page(response)), [INVALID_LOGIN])
        self.assertLandedOn(self.login(password=NEW_PASSWORD), '/')
        self.assertLoggedInAs('john')

    def test_wrong_old_password_is_refused(self):
        response = self.change(old='wrong')
        self.assertLandedOn(response, self.url)
        self.assertEqual(flashes(self.page(response)), [INVALID_PASSWORD])
        user = self.get_user(id=self.user_id)
        self.assertTrue(user.verify_password(PASSWORD))
        self.assertFalse(user.verify_password(NEW_PASSWORD))

    def test_mismatch_is_refused(self):
        response = self.change(new=NEW_PASSWORD, new2='dig')
        self.assertLandedOn(response, self.url)
        self.assertEqual(field_errors(self.page(response)), [PASSWORDS_DIFFER])
        self.assertTrue(
            self.get_user(id=self.user_id).verify_password(PASSWORD))

    def test_anonymous_is_sent_to_login(self):
        self.logout()
        response = self.client.get(self.url)
        self.assertRedirects(
            response, '/auth/login?next=%2Fauth%2Fchange-password')


class PasswordResetRequestTestCase(AuthViewsTestCase):
    url = '/auth/reset'

    def setUp(self):
        super().setUp()
        self.user_id = self.add_user()

    def test_page_shows_the_form(self):
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertIn('name="email"', self.page(response))

    def test_known_email_flashes_and_redirects_to_login(self):
        response = self.submit(self.url, dict(email='john@example.com'))
        self.assertLandedOn(response, '/auth/login')
        self.assertEqual(flashes(self.page(response)), [RESET_SENT])

    def test_known_email_gets_reset_email(self):
        self.submit(self.url, dict(email='John@Example.com'))
        [msg] = self.mail.wait_for(1)
        self.assertEqual(msg['Subject'], SUBJECT_PREFIX + RESET_SUBJECT)
        self.assertEqual(msg['To'], 'john@example.com')
        self.assertTrue(
            link_in(msg).startswith('http://localhost/auth/reset/'))

    def test_unknown_email_same_flash_and_no_email(self):
        response = self.submit(self.url, dict(email='nobody@example.com'))
        self.assertLandedOn(response, '/auth/login')
        self.assertEqual(flashes(self.page(response)), [RESET_SENT])
        self.assertNoMail()

    def test_badly_formed_email_is_a_field_error(self):
        response = self.submit(self.url, dict(email='john'))
        self.assertLandedOn(response, self.url)
        self.assertEqual(field_errors(self.page(response)), [BAD_EMAIL])
        self.assertNoMail()

    def test_logged_in_user_is_sent_to_index(self):
        self.login()
        response = self.client.get(self.url)
        self.assertRedirects(response, '/')


class PasswordResetTestCase(AuthViewsTestCase):

    def setUp(self):
        super().setUp()
        self.user_id = self.add_user()

    def reset(self, token, password=NEW_PASSWORD, password2=None):
        return self.submit(f'/auth/reset/{token}', dict(
            password=password,
            password2=password if password2 is None else password2))

    def assertPasswordIs(self, password, not_password):
        user = self.get_user(id=self.user_id)
        self.assertTrue(user.verify_password(password))
        self.assertFalse(user.verify_password(not_password))

    def test_page_shows_the_form(self):
        token = self.token_for(self.user_id, 'generate_reset_token')
        response = self.client.get(f'/auth/reset/{token}')
        self.assertEqual(response.status_code, 200)
        for name in ('password', 'password2'):
            self.assertIn(f'name="{name}"', self.page(response))

    def test_valid_link_sets_password_and_redirects_to_login(self):
        token = self.token_for(self.user_id, 'generate_reset_token')
        response = self.reset(token)
        self.assertLandedOn(response, '/auth/login')
        self.assertEqual(flashes(self.page(response)), [PASSWORD_UPDATED])
        self.assertPasswordIs(NEW_PASSWORD, PASSWORD)

    def test_emailed_link_resets_password_for_login(self):
        self.submit('/auth/reset', dict(email='john@example.com'))
        [msg] = self.mail.wait_for(1)
        link = link_in(msg)
        response = self.submit(link, dict(password=NEW_PASSWORD,
                                          password2=NEW_PASSWORD))
        self.assertLandedOn(response, '/auth/login')
        self.assertEqual(flashes(self.page(response)), [PASSWORD_UPDATED])
        self.assertLandedOn(self.login(password=NEW_PASSWORD), '/')
        self.assertLoggedInAs('john')

    def test_mismatch_is_refused(self):
        token = self.token_for(self.user_id, 'generate_reset_token')
        response = self.reset(token, NEW_PASSWORD, 'dig')
        self.assertLandedOn(response, f'/auth/reset/{token}')
        self.assertEqual(field_errors(self.page(response)), [PASSWORDS_DIFFER])
        self.assertPasswordIs(PASSWORD, NEW_PASSWORD)

    def assertResetRefused(self, token):
        """Opening the link and posting to it both send the visitor to ask
        for a new link; the password stays."""
        url = f'/auth/reset/{token}'
        for response in (
                self.client.get(url, follow_redirects=True),
                self.client.post(url, data=dict(
                    password=NEW_PASSWORD, password2=NEW_PASSWORD),
                    follow_redirects=True)):
            self.assertLandedOn(response, '/auth/reset')
            self.assertEqual(flashes(self.page(response)), [RESET_BAD])
        self.assertPasswordIs(PASSWORD, NEW_PASSWORD)

    def test_bad_token_is_refused(self):
        self.assertResetRefused('not-a-token')

    def test_tampered_token_is_refused(self):
        token = self.token_for(self.user_id, 'generate_reset_token')
        self.assertResetRefused(tamper(token))

    def test_expired_token_is_refused(self):
        with clock_shifted(-7200):
            token = self.token_for(self.user_id, 'generate_reset_token')
        self.assertResetRefused(token)

    def test_confirmation_token_does_not_reset(self):
        token = self.token_for(self.user_id, 'generate_confirmation_token')
        self.assertResetRefused(token)

    def test_logged_in_user_is_sent_to_index(self):
        token = self.token_for(self.user_id, 'generate_reset_token')
        self.login()
        response = self.client.get(f'/auth/reset/{token}')
        self.assertRedirects(response, '/')


class ChangeEmailRequestTestCase(AuthViewsTestCase):
    url = '/auth/change_email'

    def setUp(self):
        super().setUp()
        self.user_id = self.add_user()
        self.login()

    def request_change(self, email='new@example.com', password=PASSWORD):
        return self.submit(self.url, dict(email=email, password=password))

    def assertEmailIs(self, email):
        self.assertEqual(self.get_user(id=self.user_id).email, email)

    def test_page_shows_the_form(self):
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        for name in ('email', 'password'):
            self.assertIn(f'name="{name}"', self.page(response))

    def test_request_flashes_and_redirects_to_index(self):
        response = self.request_change()
        self.assertLandedOn(response, '/')
        self.assertEqual(flashes(self.page(response)), [EMAIL_CHANGE_SENT])
        self.assertEmailIs('john@example.com')

    def test_request_mails_the_new_address(self):
        self.request_change(email='New@Example.com')
        [msg] = self.mail.wait_for(1)
        self.assertEqual(msg['Subject'],
                         SUBJECT_PREFIX + EMAIL_CHANGE_SUBJECT)
        self.assertEqual(msg['To'], 'new@example.com')
        self.assertTrue(
            link_in(msg).startswith('http://localhost/auth/change_email/'))

    def test_wrong_password_is_refused(self):
        response = self.request_change(password=NEW_PASSWORD)
        self.assertLandedOn(response, self.url)
        self.assertEqual(flashes(self.page(response)), [INVALID_LOGIN])
        self.assertEmailIs('john@example.com')
        self.assertNoMail()

    def test_taken_email_in_any_case_is_refused(self):
        self.add_user(email='susan@example.com', username='susan')
        for email in ('susan@example.com', 'SUSAN@example.com',
                      ' Susan@Example.COM ', 'JOHN@example.com'):
            with self.subTest(email=email):
                response = self.request_change(email=email)
                self.assertLandedOn(response, self.url)
                self.assertEqual(field_errors(self.page(response)),
                                 [EMAIL_TAKEN])
        self.assertEmailIs('john@example.com')
        self.assertNoMail()

    def test_badly_formed_email_is_a_field_error(self):
        response = self.request_change(email='new.example.com')
        self.assertLandedOn(response, self.url)
        self.assertEqual(field_errors(self.page(response)), [BAD_EMAIL])
        self.assertNoMail()

    def test_anonymous_is_sent_to_login(self):
        self.logout()
        response = self.client.get(self.url)
        self.assertRedirects(response,
                             '/auth/login?next=%2Fauth%2Fchange_email')


class ChangeEmailTestCase(AuthViewsTestCase):

    def setUp(self):
        super().setUp()
        self.user_id = self.add_user()

    def assertEmailIs(self, email):
        self.assertEqual(self.get_user(id=self.user_id).email, email)

    def test_valid_link_changes_email(self):
        self.login()
        token = self.token_for(self.user_id, 'generate_email_change_token',
                               'new@example.com')
        response = self.client.get(f'/auth/change_email/{token}',
                                   follow_redirects=True)
        self.assertLandedOn(response, '/')
        self.assertEqual(flashes(self.page(response)), [EMAIL_UPDATED])
        self.assertEmailIs('new@example.com')

    def test_emailed_link_changes_email_for_login(self):
        self.login()
        self.submit('/auth/change_email', dict(email='New@Example.com',
                                               password=PASSWORD))
        [msg] = self.mail.wait_for(1)
        response = self.client.get(link_in(msg), follow_redirects=True)
        self.assertLandedOn(response, '/')
        self.assertEqual(flashes(self.page(response)), [EMAIL_UPDATED])
        self.assertEmailIs('new@example.com')
        self.logout()
        self.assertLandedOn(self.login(email='new@example.com'), '/')
        self.assertLoggedInAs('john')

    def assertChangeRefused(self, token):
        response = self.client.get(f'/auth/change_email/{token}',
                                   follow_redirects=True)
        self.assertLandedOn(response, '/')
        self.assertEqual(flashes(self.page(response)), [INVALID_REQUEST])
        self.assertEmailIs('john@example.com')

    def test_bad_token_is_refused(self):
        self.login()
        self.assertChangeRefused('not-a-token')

    def test_tampered_token_is_refused(self):
        self.login()
        token = self.token_for(self.user_id, 'generate_email_change_token',
                               'new@example.com')
        self.assertChangeRefused(tamper(token))

    def test_expired_token_is_refused(self):
        self.login()
        with clock_shifted(-7200):
            token = self.token_for(self.user_id,
                                   'generate_email_change_token',
                                   'new@example.com')
        self.assertChangeRefused(token)

    def test_other_users_token_is_refused(self):
        other_id = self.add_user(email='susan@example.com',
                                 username='susan')
        token = self.token_for(other_id, 'generate_email_change_token',
                               'new@example.com')
        self.login()
        self.assertChangeRefused(token)
        self.assertEqual(self.get_user(id=other_id).email,
                         'susan@example.com')

    def test_address_taken_meanwhile_is_refused(self):
        self.login()
        token = self.token_for(self.user_id, 'generate_email_change_token',
                               'susan@example.com')
        self.add_user(email='susan@example.com', username='susan')
        self.assertChangeRefused(token)

    def test_address_taken_during_commit_is_refused(self):
        # The address is free when the model checks it and taken before
        # the view commits: the view must roll back, not answer 500.
        self.login()
        token = self.token_for(self.user_id, 'generate_email_change_token',
                               'new@example.com')
        real_change_email = User.change_email

        def racing_change_email(user, token):
            changed = real_change_email(user, token)
            db.session.add(User(email='new@example.com', username='racer',
                                password='x'))
            return changed

        with mock.patch.object(User, 'change_email', racing_change_email):
            self.assertChangeRefused(token)
        self.assertEqual(self.user_count(), 1)

    def test_anonymous_is_sent_to_login(self):
        token = self.token_for(self.user_id, 'generate_email_change_token',
                               'new@example.com')
        response = self.client.get(f'/auth/change_email/{token}')
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response.headers['Location'].startswith(
            '/auth/login?next=%2Fauth%2Fchange_email%2F'))
        self.assertEmailIs('john@example.com')


class ErrorPageTestCase(AuthViewsTestCase):

    def test_404_uses_the_site_layout(self):
        for url in ('/no-such-page', '/auth/no-such-page'):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 404)
                page = self.page(response)
                self.assertIn(NAVBAR_BRAND, page)
                self.assertIn(f'<h1>{NOT_FOUND}</h1>', page)
