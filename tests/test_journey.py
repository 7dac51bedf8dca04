"""One visitor's whole journey, with every email read from a real SMTP sink.

Register, confirm by the emailed link, log in with "remember me", change
password, reset a forgotten password by email, change email address by
email, and log in with the new address. CSRF protection is on throughout.
The journey is made in English, and again by a browser asking for
Traditional Chinese, where every page and email must be in Chinese.
"""
import unittest

from tests.messages import (
    CONFIRM_SENT, CONFIRM_SUBJECT, CONFIRMED, EMAIL_CHANGE_SENT,
    EMAIL_CHANGE_SUBJECT, EMAIL_CHANGED_SUBJECT, EMAIL_UPDATED,
    INVALID_LOGIN, LOGGED_OUT, PASSWORD_CHANGED_SUBJECT, PASSWORD_UPDATED,
    RESET_SENT, RESET_SUBJECT, SUBJECT_PREFIX)
from tests.support import (HAN, NEW_PASSWORD, PASSWORD, THIRD_PASSWORD,
                           FlaskyTestCase, html_part, link_in, text_part,
                           translated)

SENDER = 'Flasky Admin <flasky@example.com>'


class JourneyTestCase(FlaskyTestCase):
    # The browser's Accept-Language; None sends none (English).
    language = None

    def setUp(self):
        super().setUp()
        self.client = self.new_client()

    def new_client(self):
        client = self.app.test_client()
        if self.language:
            client.environ_base['HTTP_ACCEPT_LANGUAGE'] = self.language
        return client

    def t(self, text, **variables):
        """`text` in the visitor's language, from the site's catalogue."""
        return translated(self.app, text, self.language or '', **variables)

    def read_notice(self, to, subject):
        """The one email in the sink, checked for its headers and parts."""
        messages = self.mail.wait_for(1)
        self.assertEqual(len(messages), 1, 'exactly one email expected')
        msg = messages[0]
        self.assertEqual(msg['Subject'], SUBJECT_PREFIX + self.t(subject))
        self.assertEqual(msg['From'], SENDER)
        self.assertEqual(msg['To'], to)
        plain = msg.get_body(preferencelist=('plain',))
        html = msg.get_body(preferencelist=('html',))
        self.assertIsNotNone(plain, 'no text/plain part')
        self.assertIsNotNone(html, 'no text/html part')
        self.mail.clear()
        return msg

    def read_email(self, to, subject, path, token=True):
        """The one email in the sink, checked; returns its link.

        `path` is where the link must point, e.g. '/auth/confirm/', and
        a token follows it unless `token` is false.
        """
        msg = self.read_notice(to, subject)
        link = link_in(msg)
        if token:
            self.assertTrue(link.startswith('http://localhost' + path),
                            link)
            self.assertGreater(len(link), len('http://localhost' + path))
        else:
            self.assertEqual(link, 'http://localhost' + path)
        self.assertIn(link, text_part(msg))
        self.assertIn(f'href="{link}"', html_part(msg))
        return link

    def assertGreets(self, response, username):
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.t('Hello, %(name)s!', name=username),
                      self.page(response))

    def test_journey(self):
        # -- 1. register: the app sends a confirmation email -------------
        response = self.register(email='john@example.com', username='john',
                                 password=PASSWORD)
        self.assertEqual(response.request.path, '/auth/login')
        self.assertFlashed(response, self.t(CONFIRM_SENT))
        link = self.read_email('john@example.com', CONFIRM_SUBJECT,
                               '/auth/confirm/')
        self.assertFalse(self.get_user('john@example.com').confirmed)

        # -- 2. log in (still unconfirmed), follow the emailed link --------
        response = self.login('john@example.com', PASSWORD)
        self.assertEqual(response.request.path, '/auth/unconfirmed')
        response = self.client.get(link, follow_redirects=True)
        self.assertFlashed(response, self.t(CONFIRMED))
        self.assertGreets(response, 'john')
        self.assertTrue(self.get_user('john@example.com').confirmed)

        # -- 3. log out ---------------------------------------------------
        response = self.logout()
        self.assertFlashed(response, self.t(LOGGED_OUT))
        self.assertIn(self.t('Hello, Stranger!'), self.page(response))

        # -- 4. log in with "remember me": a remember cookie is set -------
        response = self.login('john@example.com', PASSWORD, remember_me=True)
        self.assertGreets(response, 'john')
        remember = self.client.get_cookie('remember_token')
        self.assertIsNotNone(remember, 'no remember_token cookie')

        # -- 5. the remember cookie alone restores the session ------------
        stranger = self.new_client()
        response = stranger.get('/secret')
        self.assertEqual(response.status_code, 302, 'control: no cookie')
        returning = self.new_client()
        returning.set_cookie('remember_token', remember.value)
        self.assertIsNone(returning.get_cookie('session'))
        response = returning.get('/secret')
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.t('You are logged in as %(username)s.',
                             username='john'), self.page(response))

        # -- 6. change password -------------------------------------------
        response = self.submit('/auth/change-password', dict(
            old_password=PASSWORD, password=NEW_PASSWORD,
            password2=NEW_PASSWORD))
        self.assertFlashed(response, self.t(PASSWORD_UPDATED))
        # A notice, whose link is for the owner who did not make the change.
        self.read_email('john@example.com', PASSWORD_CHANGED_SUBJECT,
                        '/auth/reset', token=False)
        self.logout()
        self.assertIsNone(self.client.get_cookie('remember_token'),
                          'logging out must clear the remember cookie')
        response = self.login('john@example.com', PASSWORD)
        self.assertFlashed(response, self.t(INVALID_LOGIN))
        response = self.login('john@example.com', NEW_PASSWORD)
        self.assertGreets(response, 'john')

        # -- 7. log out, forget the password, ask for a reset email -------
        self.logout()
        response = self.submit('/auth/reset',
                               dict(email='john@example.com'))
        self.assertFlashed(response, self.t(RESET_SENT))
        link = self.read_email('john@example.com', RESET_SUBJECT,
                               '/auth/reset/')

        # -- 8. follow the link, set a new password, log in with it -------
        response = self.submit(link, dict(password=THIRD_PASSWORD,
                                          password2=THIRD_PASSWORD))
        self.assertEqual(response.request.path, '/auth/login')
        self.assertFlashed(response, self.t(PASSWORD_UPDATED))
        self.read_email('john@example.com', PASSWORD_CHANGED_SUBJECT,
                        '/auth/reset', token=False)
        response = self.login('john@example.com', NEW_PASSWORD)
        self.assertFlashed(response, self.t(INVALID_LOGIN))
        response = self.login('john@example.com', THIRD_PASSWORD)
        self.assertGreets(response, 'john')

        # -- 9. change email: the link goes to the NEW address ------------
        response = self.submit('/auth/change_email', dict(
            email='john.smith@example.org', password=THIRD_PASSWORD))
        self.assertFlashed(response, self.t(EMAIL_CHANGE_SENT))
        link = self.read_email('john.smith@example.org',
                               EMAIL_CHANGE_SUBJECT, '/auth/change_email/')
        self.assertIsNotNone(self.get_user('john@example.com'),
                             'email changed before the link was followed')
        response = self.client.get(link, follow_redirects=True)
        self.assertFlashed(response, self.t(EMAIL_UPDATED))
        self.assertIsNone(self.get_user('john@example.com'))
        notice = self.read_notice('john@example.com', EMAIL_CHANGED_SUBJECT)
        self.assertIn('john@example.com', text_part(notice))

        # -- 10. log in with the new address, not the old one -------------
        self.logout()
        response = self.login('john@example.com', THIRD_PASSWORD)
        self.assertFlashed(response, self.t(INVALID_LOGIN))
        response = self.login('john.smith@example.org', THIRD_PASSWORD)
        self.assertGreets(response, 'john')
        self.assertEqual(self.user_count(), 1)


class ChineseJourneyTestCase(JourneyTestCase):
    language = 'zh-TW,zh;q=0.9,en;q=0.5'

    def t(self, text, **variables):
        translated = super().t(text, **variables)
        self.assertRegex(translated, HAN, f'{text!r} is not translated')
        return translated

    def read_notice(self, to, subject):
        msg = super().read_notice(to, subject)
        self.assertRegex(text_part(msg), HAN)
        self.assertRegex(html_part(msg), HAN)
        self.assertNotIn('Dear', text_part(msg))
        return msg


if __name__ == '__main__':
    unittest.main()
