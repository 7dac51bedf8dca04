"""What the pages tell caches (app/caching.py): the home page of a visitor
without cookies may be kept by a shared cache; every other page is never
stored, not by a proxy and not by the browser."""
import unittest

from tests.messages import hello
from tests.support import FlaskyTestCase

FORM_PAGES = ('/auth/login', '/auth/register', '/auth/reset')
USER_PAGES = ('/', '/secret', '/auth/change-password', '/auth/change_email',
              '/auth/unconfirmed')


class CacheControlTestCase(FlaskyTestCase):

    def get(self, path, client=None):
        with (client or self.client).get(path) as response:
            return response

    def assertNotStored(self, response):
        cache_control = response.cache_control
        self.assertTrue(cache_control.private, response.headers)
        self.assertTrue(cache_control.no_store, response.headers)
        self.assertFalse(cache_control.public)
        self.assertIsNone(cache_control.s_maxage)

    def test_home_page_without_cookies_is_shared(self):
        response = self.get('/')
        self.assertEqual(response.headers['Cache-Control'],
                         'public, max-age=0, s-maxage=60')
        self.assertNotIn('Set-Cookie', response.headers)

    def test_home_page_with_a_cookie_is_not_stored(self):
        # A visitor who has opened a form has a session.
        self.get('/auth/login')
        self.assertIsNotNone(self.client.get_cookie('session'))
        self.assertNotStored(self.get('/'))

    def test_form_pages_are_not_stored(self):
        for path in FORM_PAGES:
            with self.subTest(path=path):
                self.assertNotStored(self.get(path, self.app.test_client()))
        user_id = self.add_user()
        token = self.token_for(user_id, 'generate_reset_token')
        self.assertNotStored(self.get(f'/auth/reset/{token}',
                                      self.app.test_client()))

    def test_no_page_of_a_logged_in_user_is_stored(self):
        self.add_user()
        self.login()
        for path in USER_PAGES:
            with self.subTest(path=path):
                self.assertNotStored(self.get(path))

    def test_the_page_after_logging_in_is_not_stored(self):
        self.add_user()
        response = self.login()
        self.assertIn(hello('john'), self.page(response))
        self.assertNotStored(response)

    def test_error_pages_are_not_stored(self):
        self.assertNotStored(self.get('/no-such-page'))

    def test_static_files_keep_their_own_caching(self):
        response = self.get('/static/favicon.ico')
        self.assertEqual(response.status_code, 200)
        self.assertFalse(response.cache_control.no_store)
        self.assertFalse(response.cache_control.private)


class NoSharedCacheTestCase(FlaskyTestCase):
    config = {'FLASKY_SHARED_CACHE_SECONDS': 0}

    def test_home_page_is_not_shared(self):
        with self.client.get('/') as response:
            self.assertFalse(response.cache_control.public)
            self.assertTrue(response.cache_control.no_store)


if __name__ == '__main__':
    unittest.main()
