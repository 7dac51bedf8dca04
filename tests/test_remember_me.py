""""Keep me logged in" lasts beyond the first page after the browser
reopens, with Flask-Login's 'strong' session protection on."""
import unittest

from tests.messages import HELLO_STRANGER, hello
from tests.support import FlaskyTestCase


class RememberMeTestCase(FlaskyTestCase):

    def returning_visitor(self):
        """A new client holding only the remember cookie of a login, as a
        browser does after it is closed and opened again."""
        self.add_user()
        self.login(remember_me=True)
        remember = self.client.get_cookie('remember_token')
        self.assertIsNotNone(remember, 'no remember_token cookie')
        client = self.app.test_client()
        client.set_cookie('remember_token', remember.value)
        return client

    def test_logged_in_on_every_page_after_reopening(self):
        client = self.returning_visitor()
        for path in ('/', '/secret', '/auth/change-password', '/'):
            with self.subTest(path=path):
                response = client.get(path)
                self.assertEqual(response.status_code, 200)
                self.assertNotIn(HELLO_STRANGER, self.page(response))
                self.assertIn('Account', self.page(response))
        self.assertIsNotNone(client.get_cookie('remember_token'))
        self.assertIn(hello('john'), self.page(client.get('/')))

    def test_session_taken_elsewhere_is_still_refused(self):
        # The session the remember cookie started is bound to this
        # visitor: another browser presenting it is logged out.
        client = self.returning_visitor()
        self.assertEqual(client.get('/').status_code, 200)
        session = client.get_cookie('session')
        self.assertIsNotNone(session)
        thief = self.app.test_client()
        thief.set_cookie('session', session.value)
        response = thief.get('/secret', headers={'User-Agent': 'Other/1.0'})
        self.assertEqual(response.status_code, 302)
        self.assertIn('/auth/login', response.headers['Location'])


if __name__ == '__main__':
    unittest.main()
