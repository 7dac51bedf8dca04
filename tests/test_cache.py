"""The shared page cache (app/cache.py): the home page for visitors
without cookies is served from a copy, and nobody else ever is."""
import re
import unittest
from unittest import mock

from flask import template_rendered

from app.cache import MAX_ENTRIES, PageCache
from config import DevelopmentConfig
from tests.support import PASSWORD, FlaskyTestCase, csrf_token, flashes


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def page_cache(app):
    """The PageCache in the app's WSGI stack."""
    layer = app.wsgi_app
    while not isinstance(layer, PageCache):
        layer = layer.app
    return layer


class CacheTestCase(FlaskyTestCase):
    """Counts the templates rendered; the caches' clock is self.clock."""

    def setUp(self):
        super().setUp()
        self.clock = FakeClock()
        patcher = mock.patch('app.cache.clock', self.clock)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.rendered = []
        template_rendered.connect(self.count, self.app)
        self.addCleanup(template_rendered.disconnect, self.count, self.app)

    def count(self, sender, template, context, **extra):
        self.rendered.append(template.name)

    def anonymous(self):
        """A new visitor: a client without cookies."""
        return self.app.test_client()


class PageCacheTestCase(CacheTestCase):

    def test_second_visitor_gets_the_copy(self):
        first = self.anonymous().get('/')
        second = self.anonymous().get('/')
        self.assertEqual(self.rendered, ['index.html'])
        self.assertEqual(second.status_code, 200)
        self.assertEqual(second.get_data(), first.get_data())
        self.assertIn('Hello, Stranger!', self.page(second))
        # Every header the app sent, the security headers among them.
        self.assertEqual(
            [h for h in second.headers.items() if h[0] != 'Age'],
            [h for h in first.headers.items()])
        self.assertIn('Content-Security-Policy', second.headers)
        self.assertNotIn('Age', first.headers)
        self.assertEqual(second.headers['Age'], '0')

    def test_answer_tells_shared_caches_only(self):
        cache_control = self.anonymous().get('/').cache_control
        self.assertTrue(cache_control.public)
        self.assertEqual(cache_control.s_maxage, 60)
        # Browsers ignore s-maxage: they must ask again every time.
        self.assertEqual(cache_control.max_age, 0)

    def test_copy_expires(self):
        self.anonymous().get('/')
        self.clock.now += 59
        self.assertEqual(self.anonymous().get('/').headers['Age'], '59')
        self.assertEqual(self.rendered, ['index.html'])
        self.clock.now += 1
        response = self.anonymous().get('/')
        self.assertEqual(self.rendered, ['index.html', 'index.html'])
        self.assertNotIn('Age', response.headers)

    def test_logged_in_visitor_never_gets_the_copy(self):
        self.add_user()
        self.anonymous().get('/')
        self.login()
        response = self.client.get('/')
        self.assertIn('Hello, john!', self.page(response))
        self.assertFalse(response.cache_control.public)
        self.assertNotIn('Age', response.headers)

    def test_message_after_logout_is_shown(self):
        self.add_user()
        self.anonymous().get('/')
        self.login()
        response = self.logout()
        self.assertFlashed(response, 'You have been logged out.')
        self.assertIn('Hello, Stranger!', self.page(response))

    def test_remember_cookie_alone_is_a_cookie(self):
        self.add_user()
        self.anonymous().get('/')
        self.login(remember_me=True)
        self.client.delete_cookie('session')
        response = self.client.get('/')
        self.assertIn('Hello, john!', self.page(response))

    def test_head_is_served_from_the_copy(self):
        get = self.anonymous().get('/')
        head = self.anonymous().head('/')
        self.assertEqual(self.rendered, ['index.html'])
        self.assertEqual(head.status_code, 200)
        self.assertEqual(head.get_data(), b'')
        self.assertEqual(head.headers['Content-Length'],
                         get.headers['Content-Length'])

    def test_head_alone_fills_nothing(self):
        self.anonymous().head('/')
        self.anonymous().get('/')
        self.assertEqual(len(self.rendered), 2)

    def test_requests_that_bypass_the_copy(self):
        self.anonymous().get('/')
        cases = {
            'query string': dict(path='/?x=1'),
            'cookie': dict(path='/', headers={'Cookie': 'a=b'}),
            'authorization': dict(path='/',
                                  headers={'Authorization': 'Basic eDp5'}),
            'POST': dict(path='/', method='POST'),
        }
        for label, request in cases.items():
            with self.subTest(label):
                before = len(self.rendered)
                # Without a cookie jar, which would drop the Cookie header.
                client = self.app.test_client(use_cookies=False)
                response = client.open(**request)
                self.assertNotIn('Age', response.headers)
                if response.status_code == 200:
                    self.assertEqual(len(self.rendered), before + 1)

    def test_other_pages_are_never_kept(self):
        for path in ('/auth/login', '/auth/register', '/no-such-page',
                     '/static/favicon.ico'):
            with self.subTest(path):
                self.anonymous().get(path).close()
                response = self.anonymous().get(path)
                self.assertNotIn('Age', response.headers)
                response.close()
        self.assertEqual(page_cache(self.app).entries, {})

    def test_hosts_cannot_fill_memory(self):
        for n in range(3 * MAX_ENTRIES):
            self.anonymous().get('/', headers={'Host': f'h{n}.example'})
            self.assertLessEqual(len(page_cache(self.app).entries),
                                 MAX_ENTRIES)


FORM_PAGES = {
    '/auth/login': 'auth/login.html',
    '/auth/register': 'auth/register.html',
    '/auth/reset': 'auth/reset_password.html',
}


def without_token(page):
    return re.sub(r'(name="csrf_token" type="hidden" value=")[^"]+"',
                  r'\1"', page)


class FormPageCacheTestCase(CacheTestCase):

    def test_next_visitors_get_the_page_with_a_token_of_their_own(self):
        for path, template in FORM_PAGES.items():
            with self.subTest(path):
                first, second = self.anonymous(), self.anonymous()
                page1 = self.page(first.get(path))
                response = second.get(path)
                page2 = self.page(response)
                self.assertEqual(self.rendered.count(template), 1)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.mimetype, 'text/html')
                self.assertNotEqual(csrf_token(page1), csrf_token(page2))
                self.assertEqual(without_token(page1), without_token(page2))
                self.assertIn('Set-Cookie', response.headers)

    def test_token_from_the_kept_page_logs_in(self):
        self.add_user()
        self.anonymous().get('/auth/login')
        visitor = self.anonymous()
        token = csrf_token(self.page(visitor.get('/auth/login')))
        self.assertEqual(self.rendered, ['auth/login.html'])
        response = visitor.post('/auth/login', data=dict(
            email='john@example.com', password=PASSWORD, csrf_token=token))
        self.assertEqual(response.status_code, 302)
        self.assertIn('Hello, john!', self.page(visitor.get('/')))
        # And another visitor's token is refused.
        response = self.anonymous().post('/auth/login', data=dict(
            email='john@example.com', password=PASSWORD, csrf_token=token))
        self.assertEqual(response.status_code, 200)
        self.assertIn('The CSRF tokens do not match.',
                      self.page(response))

    def test_visitor_with_a_cookie_gets_a_page_of_their_own(self):
        self.anonymous().get('/auth/login')
        response = self.login(password='wrong password')
        self.assertIn('Invalid email or password.',
                      flashes(self.page(response)))
        self.client.get('/auth/login')
        self.assertEqual(self.rendered, ['auth/login.html'] * 3)

    def test_logged_in_user_is_sent_home_from_the_reset_form(self):
        self.add_user()
        self.anonymous().get('/auth/reset')
        self.login()
        response = self.client.get('/auth/reset')
        self.assertEqual(response.status_code, 302)

    def test_query_string_runs_the_view(self):
        self.anonymous().get('/auth/login')
        self.anonymous().get('/auth/login?next=/secret')
        self.assertEqual(self.rendered, ['auth/login.html'] * 2)

    def test_kept_page_expires(self):
        self.anonymous().get('/auth/login')
        self.clock.now += 59
        self.anonymous().get('/auth/login')
        self.assertEqual(len(self.rendered), 1)
        self.clock.now += 1
        self.anonymous().get('/auth/login')
        self.assertEqual(len(self.rendered), 2)


class FormPageCacheWithoutCSRFTestCase(CacheTestCase):
    """No token, no hole to fill: nothing is kept."""
    csrf = False

    def test_nothing_is_kept(self):
        self.anonymous().get('/auth/login')
        self.anonymous().get('/auth/login')
        self.assertEqual(len(self.rendered), 2)


class DevelopmentPageCacheTestCase(CacheTestCase):
    """Development: a template being edited shows at once."""
    config = dict(FLASKY_PAGE_CACHE_SECONDS=(
        DevelopmentConfig.FLASKY_PAGE_CACHE_SECONDS))

    def test_nothing_is_kept(self):
        response = self.anonymous().get('/')
        self.assertFalse(response.cache_control.public)
        self.assertEqual(page_cache(self.app).entries, {})
        for _ in range(2):
            self.anonymous().get('/auth/login')
        self.assertEqual(self.rendered, ['index.html'] +
                         ['auth/login.html'] * 2)


class ShareableTestCase(unittest.TestCase):
    """What a shared cache may keep, by the answer's status and headers."""

    PUBLIC = ('Cache-Control', 'public, max-age=0, s-maxage=60')

    def test_table(self):
        cases = [
            ('200 OK', [self.PUBLIC], 60),
            ('200 OK', [self.PUBLIC, ('Vary', 'Cookie')], 60),
            ('200 OK', [('Cache-Control', 'PUBLIC, S-MAXAGE=5')], 5),
            ('404 NOT FOUND', [self.PUBLIC], 0),
            ('302 FOUND', [self.PUBLIC], 0),
            ('200 OK', [self.PUBLIC, ('Set-Cookie', 'session=x')], 0),
            ('200 OK', [self.PUBLIC, ('Vary', 'Cookie, Accept-Language')],
             0),
            ('200 OK', [('Cache-Control', 'public, max-age=60')], 0),
            ('200 OK', [('Cache-Control', 'private, s-maxage=60')], 0),
            ('200 OK', [('Cache-Control', 'public, no-store, s-maxage=60')],
             0),
            ('200 OK', [('Cache-Control', 'public, s-maxage=soon')], 0),
            ('200 OK', [('Cache-Control', 'public, s-maxage=-5')], 0),
            ('200 OK', [], 0),
        ]
        for status, headers, seconds in cases:
            with self.subTest(status=status, headers=headers):
                self.assertEqual(PageCache.shareable_for(status, headers),
                                 seconds)
