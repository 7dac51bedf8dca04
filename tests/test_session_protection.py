"""Flask-Login's 'strong' session protection guards the sessions people
have logged in with, and leaves a visitor's other sessions alone
(app/session_protection.py).

A visitor who has opened a form has a session holding its CSRF token.
Rewritten on every request, as Flask-Login would (its issue 569), that
session came back from any request still under way when a login
answered, a stylesheet or the favicon, and logged the visitor out again.
"""
import unittest

import flask_login

from tests.messages import hello
from tests.support import FlaskyTestCase


class LibraryTestCase(unittest.TestCase):

    def test_the_fix_still_fits_flask_login(self):
        # The fix overrides one of Flask-Login's own methods: a new
        # release may rename it, or fix issues 569 and 685 itself. Check
        # both, then update the pin here.
        self.assertEqual(flask_login.__version__, '0.6.3')
        manager = flask_login.LoginManager()
        for name in ('_session_protection_failed',):
            self.assertTrue(callable(getattr(manager, name, None)), name)


class VisitorSessionTestCase(FlaskyTestCase):

    def set_cookies(self, response):
        return response.headers.getlist('Set-Cookie')

    def test_a_form_session_is_not_rewritten_by_other_requests(self):
        self.client.get('/auth/login')
        self.assertIsNotNone(self.client.get_cookie('session'))
        for path in ('/', '/static/favicon.ico', '/auth/register',
                     '/auth/login'):
            with self.subTest(path=path):
                with self.client.get(path) as response:
                    self.assertLess(response.status_code, 400)
                    self.assertEqual(self.set_cookies(response), [])

    def test_a_request_begun_before_the_login_does_not_undo_it(self):
        self.add_user()
        self.client.get('/auth/login')
        before = self.client.get_cookie('session').value
        response = self.login()
        self.assertIn(hello('john'), self.page(response))
        # The favicon asked for with the session from before the login,
        # answered after it: the browser keeps the session it has.
        late = self.app.test_client()
        late.set_cookie('session', before)
        with late.get('/static/favicon.ico') as response:
            self.assertEqual(self.set_cookies(response), [])

    def test_a_form_session_keeps_a_remember_cookie(self):
        # Sent beside a remember cookie, such a session no longer costs
        # the visitor that cookie (Flask-Login deleted it).
        self.add_user()
        self.login(remember_me=True)
        remember = self.client.get_cookie('remember_token').value
        client = self.app.test_client()
        client.set_cookie('remember_token', remember)
        form_session = self.app.test_client()
        form_session.get('/auth/login')
        client.set_cookie('session',
                          form_session.get_cookie('session').value)
        response = client.get('/secret')
        self.assertEqual(response.status_code, 200)
        self.assertIsNotNone(client.get_cookie('remember_token'))

    def test_a_logged_in_session_taken_elsewhere_is_refused(self):
        # What 'strong' protection is for, still done.
        self.add_user()
        self.login()
        thief = self.app.test_client()
        thief.set_cookie('session', self.client.get_cookie('session').value)
        response = thief.get('/secret', headers={'User-Agent': 'Other/1.0'})
        self.assertEqual(response.status_code, 302)
        self.assertIn('/auth/login', response.headers['Location'])


if __name__ == '__main__':
    unittest.main()
