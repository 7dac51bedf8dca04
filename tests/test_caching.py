"""The caches on the request path (app/caching.py): each page must read
exactly as it would without them."""
import os
import subprocess
import sys

import flask_talisman
from flask import request, template_rendered

from app import create_app, limiter
from app.auth import throttling
from app.caching import PAGE_CACHE_SIZE
from config import DevelopmentConfig, TestingConfig
from tests.support import (NEW_PASSWORD, PASSWORD, FlaskyTestCase,
                           csrf_token, flashes)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HSTS = 'Strict-Transport-Security'


class RenderCounter:
    """The templates rendered while the block runs."""

    def __init__(self, app):
        self.app = app
        self.names = []

    def record(self, sender, template, context, **extra):
        self.names.append(template.name)

    def __enter__(self):
        template_rendered.connect(self.record, self.app)
        return self.names

    def __exit__(self, *exc):
        template_rendered.disconnect(self.record, self.app)


class PageCacheTestCase(FlaskyTestCase):

    def renders(self):
        return RenderCounter(self.app)

    def test_anonymous_home_page_rendered_once(self):
        with self.renders() as names:
            first = self.page(self.client.get('/'))
            second = self.page(self.client.get('/'))
        self.assertEqual(names, ['index.html'])
        self.assertEqual(first, second)
        self.assertIn('Hello, Stranger!', second)

    def test_logged_in_user_gets_their_own_page(self):
        self.add_user()
        self.client.get('/')
        self.login()
        with self.renders() as names:
            page = self.page(self.client.get('/'))
        self.assertEqual(names, ['index.html'])
        self.assertIn('Hello, john!', page)
        self.assertIn('Log Out', page)
        self.logout()
        self.assertIn('Hello, Stranger!', self.page(self.client.get('/')))

    def test_flashed_message_is_shown_then_gone(self):
        self.add_user()
        self.client.get('/')
        self.login()
        response = self.logout()
        self.assertEqual(flashes(self.page(response)),
                         ['You have been logged out.'])
        self.assertEqual(flashes(self.page(self.client.get('/'))), [])

    def test_each_visitor_gets_their_own_working_csrf_token(self):
        self.add_user()
        other = self.app.test_client()
        with self.renders() as names:
            mine = csrf_token(self.page(self.client.get('/auth/login')))
            theirs = csrf_token(self.page(other.get('/auth/login')))
        self.assertEqual(names, ['auth/login.html'])
        self.assertNotEqual(mine, theirs)
        # Each token works for its own visitor only.
        swapped = other.post('/auth/login', data=dict(
            email='john@example.com', password=PASSWORD, csrf_token=mine))
        self.assertEqual(swapped.status_code, 200)
        self.assertIn('The CSRF tokens do not match.',
                      self.page(swapped))
        response = other.post('/auth/login', data=dict(
            email='john@example.com', password=PASSWORD,
            csrf_token=theirs))
        self.assertEqual(response.status_code, 302)

    def test_refused_form_is_rendered_and_not_kept(self):
        response = self.submit('/auth/register', dict(
            email='not an email', username='john', password=PASSWORD,
            password2=PASSWORD))
        self.assertIn('Invalid email address.', self.page(response))
        page = self.page(self.client.get('/auth/register'))
        self.assertNotIn('Invalid email address.', page)
        self.assertNotIn('not an email', page)

    def test_reset_request_form_and_register_form_work_from_cache(self):
        self.client.get('/auth/register')
        response = self.submit('/auth/register', dict(
            email='jane@example.com', username='jane',
            password=NEW_PASSWORD, password2=NEW_PASSWORD))
        self.assertEqual(
            flashes(self.page(response)),
            ['A confirmation email has been sent to you by email.'])
        self.client.get('/auth/reset')
        self.mail.clear()
        response = self.submit('/auth/reset',
                               dict(email='jane@example.com'))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self.mail.wait_for(1)), 1)

    def test_pages_under_another_script_root_have_their_own_links(self):
        root = self.page(self.client.get('/'))
        prefixed = self.page(self.client.get(
            '/', environ_overrides={'SCRIPT_NAME': '/blog'}))
        self.assertIn('href="/static/favicon.ico"', root)
        self.assertIn('href="/blog/static/favicon.ico"', prefixed)
        self.assertIn('src="/blog/static/vendor/jquery/jquery.min.js"',
                      prefixed)
        self.assertIn('href="/static/favicon.ico"',
                      self.page(self.client.get('/')))

    def test_cache_holds_a_bounded_number_of_pages(self):
        cache = self.app.extensions['flasky_page_cache']
        for n in range(PAGE_CACHE_SIZE + 10):
            self.assertEqual(self.client.get(f'/?n={n}').status_code, 200)
        self.assertEqual(len(cache.pages), PAGE_CACHE_SIZE)

    def test_other_pages_and_methods_are_not_kept(self):
        self.client.get('/auth/unconfirmed')
        self.client.head('/')
        self.client.get('/no-such-page')
        self.assertEqual(self.app.extensions['flasky_page_cache'].pages, {})


class CookielessRequestTestCase(FlaskyTestCase):
    """A request without cookies is served without loading a user, unless
    the app can load users from something else."""

    def setUp(self):
        super().setUp()
        self.loads = []
        manager = self.app.login_manager
        real = manager._load_user

        def load_user():
            self.loads.append(request.path)
            return real()
        manager._load_user = load_user
        self.addCleanup(setattr, manager, '_load_user', real)

    def test_no_user_is_loaded(self):
        for _ in range(2):
            self.assertIn('Hello, Stranger!',
                          self.page(self.client.get('/')))
        # Loaded to render the page the first time, not to serve it.
        self.assertEqual(self.loads, ['/'])

    def test_request_loader_still_decides(self):
        self.client.get('/')
        user_id = self.add_user()
        manager = self.app.login_manager
        self.assertIsNone(manager._request_callback)
        manager.request_loader(lambda request: self.get_user(id=user_id)
                               if request.headers.get('X-User') else None)
        self.addCleanup(setattr, manager, '_request_callback', None)
        page = self.page(self.client.get('/', headers={'X-User': '1'}))
        self.assertIn('Hello, john!', page)
        self.assertIn('Hello, Stranger!', self.page(self.client.get('/')))

    def test_unconfirmed_user_still_sent_to_confirm(self):
        self.add_user(confirmed=False)
        self.client.get('/')
        self.login()
        response = self.client.get('/')
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response.headers['Location'].endswith(
            '/auth/unconfirmed'))


class NoPageCacheTestCase(FlaskyTestCase):

    def test_templates_reloaded_in_development_are_never_cached(self):
        config = type('Dev', (DevelopmentConfig,),
                      dict(SQLALCHEMY_DATABASE_URI='sqlite://'))
        app = create_app(config)
        self.assertTrue(app.jinja_env.auto_reload)
        self.assertNotIn('flasky_page_cache', app.extensions)

    def test_setting_turns_it_off(self):
        config = type('NoCache', (TestingConfig,),
                      dict(FLASKY_PAGE_CACHE=False))
        self.assertNotIn('flasky_page_cache',
                         create_app(config).extensions)


class URLCacheTestCase(FlaskyTestCase):

    def test_same_urls_as_flask_builds(self):
        cached = self.app.extensions['flasky_url_for']
        cases = [('main.index', {}), ('static', {'filename': 'favicon.ico'}),
                 ('auth.confirm', {'token': 'a b/c'}),
                 ('auth.login', {'next': '/secret'}),
                 ('main.index', {'_external': True}),
                 ('main.index', {'_anchor': 'top'})]
        for host in ('localhost', 'example.com'):
            with self.app.test_request_context('/', base_url=f'http://{host}'):
                for endpoint, values in cases + cases:
                    with self.subTest(endpoint=endpoint, values=values):
                        self.assertEqual(cached(endpoint, **values),
                                         self.app.url_for(endpoint, **values))
        self.assertGreater(cached.cache_info().hits, 0)

    def test_blueprint_relative_endpoint(self):
        cached = self.app.extensions['flasky_url_for']
        with self.app.test_request_context('/auth/login'):
            self.assertEqual(cached('.register'), '/auth/register')
        with self.app.test_request_context('/'):
            self.assertEqual(cached('.index'), '/')

    def test_unhashable_value_is_built_anyway(self):
        cached = self.app.extensions['flasky_url_for']
        with self.app.test_request_context('/'):
            self.assertEqual(cached('main.index', tags=['a', 'b']),
                             '/?tags=a&tags=b')


class TalismanCacheTestCase(FlaskyTestCase):

    def plain_headers(self, path, **kwargs):
        """The headers Flask-Talisman itself would send."""
        app = create_app(TestingConfig)
        plain = flask_talisman.Talisman()
        cached = app.extensions['talisman']
        plain.__dict__.update(cached.__dict__)
        response = app.test_client().get(path, **kwargs)
        with app.test_request_context(path, **kwargs):
            app.preprocess_request()
            headers = plain._set_response_headers(
                app.make_response('')).headers
        return response.headers, headers

    def test_headers_as_talisman_sets_them(self):
        for path, kwargs in [('/', {}), ('/auth/login', {}),
                             ('/missing', {}),
                             ('/', {'base_url': 'https://localhost'})]:
            with self.subTest(path=path, **kwargs):
                got, want = self.plain_headers(path, **kwargs)
                names = set(want.keys()) - {'Content-Type',
                                            'Content-Length'}
                self.assertGreaterEqual(len(names), 5)
                for name in names:
                    self.assertEqual(got.getlist(name), want.getlist(name),
                                     name)

    def test_hsts_follows_each_request_scheme(self):
        config = type('HSTS', (TestingConfig,), dict(FLASKY_HSTS=True))
        client = create_app(config).test_client()
        for _ in range(2):
            self.assertNotIn(HSTS, client.get('/').headers)
            self.assertIn(HSTS, client.get(
                '/', base_url='https://localhost').headers)
            self.assertIn(HSTS, client.get(
                '/', headers={'X-Forwarded-Proto': 'https'}).headers)

    def test_view_header_is_replaced_not_repeated(self):
        @self.app.route('/framed')
        def framed():
            return 'x', {'X-Frame-Options': 'SAMEORIGIN'}
        response = self.client.get('/framed')
        self.assertEqual(response.headers.getlist('X-Frame-Options'),
                         ['DENY'])


class SessionSignerTestCase(FlaskyTestCase):

    def test_new_secret_key_ends_old_sessions(self):
        self.add_user()
        self.login()
        self.assertIn('Hello, john!', self.page(self.client.get('/')))
        self.app.secret_key = 'another secret key'
        self.assertIn('Hello, Stranger!', self.page(self.client.get('/')))

    def test_fallback_key_keeps_old_sessions(self):
        self.add_user()
        self.login()
        old = self.app.secret_key
        self.app.secret_key = 'another secret key'
        self.app.config['SECRET_KEY_FALLBACKS'] = [old]
        self.assertIn('Hello, john!', self.page(self.client.get('/')))


class LimiterCheckTestCase(FlaskyTestCase):
    csrf = False

    def test_idle_check_before_each_request_is_left_out(self):
        self.assertNotIn(limiter._check_request_limit,
                         self.app.before_request_funcs[None])

    def test_default_limit_keeps_the_check(self):
        config = type('Default', (TestingConfig,),
                      dict(RATELIMIT_DEFAULT='2 per minute'))
        app = create_app(config)
        try:
            self.assertIn(limiter._check_request_limit,
                          app.before_request_funcs[None])
            client = app.test_client()
            codes = [client.get('/').status_code for _ in range(3)]
            self.assertEqual(codes, [200, 200, 429])
        finally:
            # The one Limiter would keep these defaults for every later app.
            limiter.limit_manager.set_default_limits([])
        self.assertNotIn(limiter._check_request_limit,
                         create_app(TestingConfig).before_request_funcs[None])

    def test_view_limits_still_hold(self):
        self.add_user()
        for _ in range(5):
            self.assertEqual(self.client.post('/auth/login', data=dict(
                email='john@example.com', password='wrong')).status_code,
                200)
        self.assertEqual(self.client.post('/auth/login', data=dict(
            email='john@example.com', password='wrong')).status_code, 429)
        self.assertIs(throttling.limiter, limiter)


class ServerImportsTestCase(FlaskyTestCase):

    def test_server_loads_no_migration_or_password_strength_code(self):
        # Alembic, Mako and zxcvbn's word lists: about 23 MB per worker.
        code = ('import sys, manage; print(" ".join(sorted(m for m in '
                '("flask_migrate", "alembic", "mako", "zxcvbn") '
                'if m in sys.modules)))')
        env = dict(os.environ, FLASK_CONFIG='production', SECRET_KEY='x',
                   SERVER_NAME='localhost', DATABASE_URL='sqlite://')
        out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), '')

    def test_password_policy_still_applies(self):
        response = self.submit('/auth/register', dict(
            email='jane@example.com', username='jane', password='password1',
            password2='password1'))
        self.assertIn('This password is too easy to guess.',
                      self.page(response))
