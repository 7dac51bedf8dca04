"""One row per login (app.models.Login): logging out ends it everywhere,
the sessions page lists and ends logins, and logging out or asking for an
email again takes a POST with the CSRF token.

Each test attacks as an outsider would, with cookies copied from one
browser (a test client) into another.
"""
import re
import unittest

import sqlalchemy as sa

from app import db
from app.models import Login
from tests.messages import (CONFIRM_RESENT, INVALID_REQUEST, LOGGED_OUT,
                            SESSION_ENDED, SESSIONS_ENDED, hello,
                            logged_in_as)
from tests.support import FlaskyTestCase, flashes


class LoginsTestCase(FlaskyTestCase):

    def setUp(self):
        super().setUp()
        self.user_id = self.add_user()

    def copy_of(self, name, client=None):
        """A new browser holding only the cookie `name` of `client`."""
        copy = self.app.test_client()
        copy.set_cookie(name, (client or self.client).get_cookie(name).value)
        return copy

    def logged_in(self, client=None, username='john'):
        response = (client or self.client).get('/secret')
        return response.status_code == 200 and \
            logged_in_as(username) in self.page(response)

    def browser(self, user_agent, remember_me=False, username='john'):
        """Another browser, logged in as `username`, naming itself
        `user_agent`."""
        saved, self.client = self.client, self.app.test_client()
        self.client.environ_base['HTTP_USER_AGENT'] = user_agent
        try:
            response = self.login(email=f'{username}@example.com',
                                  remember_me=remember_me)
            self.assertIn(hello(username), self.page(response))
            return self.client
        finally:
            self.client = saved

    def logins(self):
        with self.app.app_context():
            return db.session.scalars(
                sa.select(Login).order_by(Login.id)).all()


class LogoutEndsTheLoginTestCase(LoginsTestCase):

    def test_a_copied_remember_cookie_dies_at_logout(self):
        self.login(remember_me=True)
        stolen = self.copy_of('remember_token')
        self.assertTrue(self.logged_in(stolen))
        self.logout()
        self.assertFalse(self.logged_in(self.copy_of('remember_token',
                                                     stolen)))

    def test_a_copied_session_cookie_dies_at_logout(self):
        self.login()
        stolen = self.copy_of('session')
        self.assertTrue(self.logged_in(stolen))
        self.logout()
        self.assertFalse(self.logged_in(stolen))

    def test_logout_ends_this_login_only(self):
        other = self.browser('Other/1.0', remember_me=True)
        self.login()
        self.logout()
        self.assertTrue(self.logged_in(other))
        self.assertEqual([login.user_agent for login in self.logins()],
                         ['Other/1.0'])

    def test_each_login_is_a_row_of_its_own(self):
        self.browser('First/1.0')
        self.browser('Second/2.0', remember_me=True)
        logins = self.logins()
        self.assertEqual([(login.user_agent, login.remember)
                          for login in logins],
                         [('First/1.0', False), ('Second/2.0', True)])
        self.assertEqual({login.ip_address for login in logins},
                         {'127.0.0.1'})
        self.assertEqual(len({login.token for login in logins}), 2)

    def test_an_unused_remember_cookie_expires_with_its_row(self):
        self.login(remember_me=True)
        remembered = self.copy_of('remember_token')
        with self.app.app_context():
            login = db.session.scalar(sa.select(Login))
            login.last_seen -= self.app.config['REMEMBER_COOKIE_DURATION']
            db.session.commit()
        self.assertFalse(self.logged_in(remembered))


class SessionsPageTestCase(LoginsTestCase):

    def sessions_page(self):
        response = self.client.get('/auth/sessions')
        self.assertEqual(response.status_code, 200)
        return self.page(response)

    def end(self, login_id, token=True):
        data = {}
        if token:
            data['csrf_token'] = re.search(
                r'name="csrf_token" type="hidden" value="([^"]+)"',
                self.sessions_page()).group(1)
        return self.client.post(f'/auth/sessions/{login_id}/end', data=data,
                                follow_redirects=True)

    def test_the_page_lists_each_login(self):
        self.browser('Other/1.0')
        self.login()
        page = self.sessions_page()
        self.assertIn('Other/1.0', page)
        self.assertIn('127.0.0.1', page)
        self.assertEqual(page.count('(this browser)'), 1)
        self.assertEqual(len(re.findall(
            r'<td>\d{4}-\d\d-\d\d \d\d:\d\d UTC</td>', page)), 4)

    def test_ending_another_login_logs_that_browser_out(self):
        other = self.browser('Other/1.0', remember_me=True)
        self.login()
        [other_login, _] = self.logins()
        response = self.end(other_login.id)
        self.assertEqual(flashes(self.page(response)), [SESSION_ENDED])
        self.assertFalse(self.logged_in(other))
        self.assertTrue(self.logged_in())

    def test_ending_this_login_logs_out(self):
        self.login()
        [login] = self.logins()
        response = self.end(login.id)
        self.assertEqual(flashes(self.page(response)), [LOGGED_OUT])
        self.assertFalse(self.logged_in())
        self.assertEqual(self.logins(), [])

    def test_ending_every_other_login(self):
        others = [self.browser(f'Other/{n}') for n in range(2)]
        self.login()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                          self.sessions_page()).group(1)
        response = self.client.post('/auth/sessions/end-others',
                                    data={'csrf_token': token},
                                    follow_redirects=True)
        self.assertEqual(flashes(self.page(response)), [SESSIONS_ENDED])
        self.assertEqual([self.logged_in(o) for o in others], [False, False])
        self.assertTrue(self.logged_in())

    def test_no_login_ends_without_the_csrf_token(self):
        other = self.browser('Other/1.0')
        self.login()
        [other_login, _] = self.logins()
        response = self.end(other_login.id, token=False)
        self.assertEqual(flashes(self.page(response)), [INVALID_REQUEST])
        response = self.client.post('/auth/sessions/end-others',
                                    follow_redirects=True)
        self.assertEqual(flashes(self.page(response)), [INVALID_REQUEST])
        self.assertTrue(self.logged_in(other))
        self.assertEqual(len(self.logins()), 2)

    def test_another_users_login_cannot_be_ended(self):
        self.add_user(email='susan@example.com', username='susan')
        susan = self.browser('Susan/1.0', username='susan')
        [susan_login] = self.logins()
        self.login()
        response = self.end(susan_login.id)
        self.assertEqual(flashes(self.page(response)), [INVALID_REQUEST])
        self.assertTrue(self.logged_in(susan, username='susan'))

    def test_a_get_ends_nothing(self):
        self.login()
        [login] = self.logins()
        for url in (f'/auth/sessions/{login.id}/end',
                    '/auth/sessions/end-others'):
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 405)
        self.assertTrue(self.logged_in())


class PostOnlyTestCase(LoginsTestCase):
    """Another site can link to /auth/logout or /auth/confirm, or post to
    them without the CSRF token: neither does anything."""

    def test_a_link_to_logout_only_shows_the_button(self):
        self.login()
        response = self.client.get('/auth/logout')
        self.assertEqual(response.status_code, 200)
        self.assertIn('<form method="post" action="/auth/logout">',
                      self.page(response))
        self.assertTrue(self.logged_in())

    def test_a_post_to_logout_without_the_token_does_nothing(self):
        self.login(remember_me=True)
        response = self.client.post('/auth/logout')
        self.assertEqual(response.status_code, 200)
        self.assertTrue(self.logged_in())
        self.assertTrue(self.logged_in(self.copy_of('remember_token')))

    def test_the_button_logs_out(self):
        self.login()
        response = self.logout()
        self.assertEqual(flashes(self.page(response)), [LOGGED_OUT])
        self.assertFalse(self.logged_in())

    def test_a_link_to_resend_sends_nothing(self):
        self.add_user(email='susan@example.com', username='susan',
                      confirmed=False)
        self.login(email='susan@example.com')
        response = self.client.get('/auth/confirm')
        self.assertEqual(response.status_code, 200)
        self.assertIn('<form method="post" action="/auth/confirm">',
                      self.page(response))
        response = self.client.post('/auth/confirm')
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.mail.messages, [])
        response = self.resend_confirmation()
        self.assertEqual(flashes(self.page(response)), [CONFIRM_RESENT])
        self.assertEqual(len(self.mail.wait_for(1)), 1)


if __name__ == '__main__':
    unittest.main()
