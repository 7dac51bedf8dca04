"""Security headers (Flask-Talisman) and pages a strict CSP can allow."""
import re

from flask import render_template_string

from app import create_app, db
from app.models import User
from config import DevelopmentConfig, ProductionConfig
from tests.pages import every_page, is_this_site, parse
from tests.support import FlaskyTestCase, csrf_token

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; "
       "img-src 'self'; font-src 'self'; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")

HEADERS = {
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'same-origin',
    'Permissions-Policy': 'browsing-topics=()',
}

HSTS = 'max-age=31556926; includeSubDomains'


# The production test client's default is https (PREFERRED_URL_SCHEME).
HTTP = 'http://localhost'


class ProductionTestConfig(ProductionConfig):
    SECRET_KEY = 'production test secret key'
    SERVER_NAME = 'localhost'
    SQLALCHEMY_DATABASE_URI = 'sqlite://'


class DevelopmentTestConfig(DevelopmentConfig):
    SQLALCHEMY_DATABASE_URI = 'sqlite://'


def cookie(response, name):
    """The Set-Cookie header of a response that sets cookie `name`."""
    for header in response.headers.getlist('Set-Cookie'):
        if header.startswith(name + '='):
            return header
    raise AssertionError(f'no {name} cookie set')


def cookie_flags(header):
    return {part.strip().split('=')[0].lower()
            for part in header.split(';')[1:]}


class HeadersMixin:

    def assertSecurityHeaders(self, response, hsts=None):
        for name, value in HEADERS.items():
            with self.subTest(header=name):
                self.assertEqual(response.headers.get(name), value)
        self.assertEqual(response.headers.get('Strict-Transport-Security'),
                         hsts)
        self.assertNotIn('X-XSS-Protection', response.headers)
        self.assertNotIn('Content-Security-Policy-Report-Only',
                         response.headers)


class HeadersTestCase(HeadersMixin, FlaskyTestCase):
    """The testing configuration: every header but HSTS, plain http."""

    def test_html_page(self):
        response = self.client.get('/')
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.mimetype, 'text/html')
        self.assertSecurityHeaders(response)

    def test_static_file(self):
        with self.client.get('/static/favicon.ico') as response:
            self.assertEqual(response.status_code, 200)
            self.assertSecurityHeaders(response)

    def test_not_found_page(self):
        response = self.client.get('/no-such-page')
        self.assertEqual(response.status_code, 404)
        self.assertSecurityHeaders(response)

    def test_redirect(self):
        response = self.client.get('/secret')
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response.location.startswith('/auth/login'))
        self.assertSecurityHeaders(response)

    def test_moment_support_script(self):
        response = self.client.get('/flask-moment.js')
        self.assertEqual(response.status_code, 200)
        self.assertSecurityHeaders(response)

    def test_no_hsts_even_over_https(self):
        response = self.client.get('/', base_url='https://localhost')
        self.assertEqual(response.status_code, 200)
        self.assertSecurityHeaders(response, hsts=None)

    def test_no_https_redirect(self):
        for url in ('/', '/auth/login', '/static/favicon.ico'):
            with self.subTest(url=url):
                with self.client.get(url) as response:
                    self.assertEqual(response.status_code, 200)

    def test_session_cookie_not_secure(self):
        # The login form's CSRF token is kept in the session.
        response = self.client.get('/auth/login')
        flags = cookie_flags(cookie(response, 'session'))
        self.assertNotIn('secure', flags)
        self.assertIn('httponly', flags)
        self.assertIn('samesite', flags)
        self.assertIn('SameSite=Lax', cookie(response, 'session'))


class InlineCodeTestCase(FlaskyTestCase):
    """No page needs what the CSP refuses: inline scripts and styles."""

    def test_every_page_works_under_the_csp(self):
        pages = every_page(self)
        self.assertEqual(len(pages), 25)
        for name, status, page in pages:
            with self.subTest(page=name):
                self.assertIn(status, (200, 404, 500))
                parsed = parse(page)
                self.assertEqual(parsed.inline, [])
                self.assertTrue(parsed.scripts)
                self.assertTrue(parsed.stylesheets)
                for url in parsed.resources:
                    self.assertTrue(is_this_site(url), url)

    def test_files_the_pages_load_are_served(self):
        urls = set()
        for name, status, page in every_page(self):
            urls.update(parse(page).resources)
        self.assertIn('/flask-moment.js', urls)
        # Served only while two-step sign-in is being set up: test_two_step
        # checks it.
        urls.discard('/auth/two-step/qr-code.svg')
        for url in sorted(urls):
            with self.subTest(url=url):
                with self.client.get(url) as response:
                    self.assertEqual(response.status_code, 200)
                    self.assertTrue(response.get_data())

    def test_parser_finds_inline_code(self):
        # The checks above would pass on anything if the parser saw
        # nothing: show it each thing the CSP refuses.
        page = ('<script>alert(1)</script><script src="/a.js"></script>'
                '<style>p {}</style><p style="color: red">'
                '<a href="JavaScript:alert(1)" onclick="x()">'
                '<img src="https://cdn.example/x.png">'
                '<link rel="stylesheet" href="//cdn.example/x.css">')
        parsed = parse(page)
        self.assertEqual(parsed.inline, [
            '<script> without src', '<script> with a body',
            '<style> element', '<p style=...> attribute',
            '<a href="javascript:...">', '<a onclick=...> event handler'])
        self.assertEqual(parsed.scripts, ['/a.js'])
        self.assertEqual(parsed.stylesheets, ['//cdn.example/x.css'])
        self.assertEqual([is_this_site(u) for u in parsed.resources],
                         [True, False, False])


class MomentScriptTestCase(FlaskyTestCase):
    """Flask-Moment's support code, served as a script of this site."""

    def test_is_the_code_include_moment_would_inline(self):
        with self.app.test_request_context():
            inline = render_template_string(
                '{{ moment.include_moment(no_js=True) }}')
        match = re.search(r'<script>\n(.+)\n</script>', inline, re.S)
        self.assertIsNotNone(match)
        response = self.client.get('/flask-moment.js')
        self.assertEqual(response.get_data(as_text=True).strip(),
                         match.group(1).strip())
        self.assertIn('function flask_moment_render_all()',
                      response.get_data(as_text=True))

    def test_type_and_caching(self):
        response = self.client.get('/flask-moment.js')
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers['Content-Type'],
                         'text/javascript; charset=utf-8')
        self.assertEqual(response.headers['Cache-Control'],
                         'public, max-age=3600')
        etag = response.headers['ETag']
        self.assertTrue(etag)
        again = self.client.get('/flask-moment.js',
                                headers={'If-None-Match': etag})
        self.assertEqual(again.status_code, 304)
        self.assertEqual(again.get_data(), b'')

    def test_pages_load_it_after_moment_and_set_the_locale_last(self):
        scripts = parse(self.page(self.client.get('/'))).scripts
        self.assertEqual(scripts[-3:], [
            '/static/js/moment-with-locales.min.js', '/flask-moment.js',
            '/static/js/moment-locale.js'])


class DevelopmentHeadersTestCase(HeadersMixin, FlaskyTestCase):
    """The development configuration, as `make run` serves it."""

    def setUp(self):
        super().setUp()
        self.dev = create_app(DevelopmentTestConfig)
        self.dev_client = self.dev.test_client()

    def test_plain_http_no_redirect(self):
        for url in ('/', '/auth/login', '/static/favicon.ico'):
            with self.subTest(url=url):
                with self.dev_client.get(url) as response:
                    self.assertEqual(response.status_code, 200)
                    self.assertSecurityHeaders(response)

    def test_no_hsts_even_over_https(self):
        response = self.dev_client.get('/', base_url='https://localhost')
        self.assertSecurityHeaders(response, hsts=None)

    def test_session_cookie_not_secure(self):
        response = self.dev_client.get('/auth/login')
        self.assertNotIn('secure',
                         cookie_flags(cookie(response, 'session')))


class ProductionHeadersTestCase(HeadersMixin, FlaskyTestCase):
    """The production configuration, behind a TLS-terminating proxy."""

    def setUp(self):
        super().setUp()
        self.prod = self.production_app(ProductionTestConfig)
        self.prod_client = self.prod.test_client()

    def production_app(self, config_class):
        app = create_app(config_class)
        with app.app_context():
            db.create_all()
        self.addCleanup(self.dispose, app)
        return app

    def dispose(self, app):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()

    def test_https_page_has_hsts(self):
        response = self.prod_client.get('/', base_url='https://localhost')
        self.assertEqual(response.status_code, 200)
        self.assertSecurityHeaders(response, hsts=HSTS)

    def test_hsts_on_every_kind_of_response(self):
        for url, status in (('/static/favicon.ico', 200),
                            ('/no-such-page', 404), ('/secret', 302)):
            with self.subTest(url=url):
                with self.prod_client.get(
                        url, base_url='https://localhost') as response:
                    self.assertEqual(response.status_code, status)
                    self.assertSecurityHeaders(response, hsts=HSTS)

    def test_hsts_behind_tls_terminating_proxy(self):
        response = self.prod_client.get(
            '/', base_url=HTTP, headers={'X-Forwarded-Proto': 'https'})
        self.assertEqual(response.status_code, 200)
        self.assertSecurityHeaders(response, hsts=HSTS)

    def test_no_hsts_over_plain_http(self):
        # Browsers ignore HSTS sent over http; Talisman does not send it.
        response = self.prod_client.get('/', base_url=HTTP)
        self.assertSecurityHeaders(response, hsts=None)

    def test_no_https_redirect_by_default(self):
        # The proxy redirects; the app answers whatever reaches it.
        response = self.prod_client.get('/', base_url=HTTP)
        self.assertEqual(response.status_code, 200)

    def test_https_redirect_when_asked(self):
        config_class = type('ForceHTTPSConfig', (ProductionTestConfig,),
                            dict(FLASKY_FORCE_HTTPS=True))
        client = self.production_app(config_class).test_client()
        response = client.get('/auth/login?next=%2Fsecret', base_url=HTTP)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.location,
                         'https://localhost/auth/login?next=/secret')
        # No loop behind a proxy that says the request came over TLS.
        response = client.get('/auth/login', base_url=HTTP,
                              headers={'X-Forwarded-Proto': 'https'})
        self.assertEqual(response.status_code, 200)

    def test_session_cookie_secure(self):
        response = self.prod_client.get('/auth/login',
                                        base_url='https://localhost')
        header = cookie(response, 'session')
        self.assertEqual(cookie_flags(header),
                         {'secure', 'httponly', 'path', 'samesite'})
        self.assertIn('SameSite=Lax', header)

    def test_login_over_https_with_same_origin_referrer(self):
        # Flask-WTF refuses a form posted over HTTPS without a Referer
        # from this site: Referrer-Policy same-origin still sends it.
        with self.prod.app_context():
            db.session.add(User(email='john@example.com', username='john',
                                password='cat', confirmed=True))
            db.session.commit()
        url = 'https://localhost/auth/login'
        form = self.prod_client.get(url)
        response = self.prod_client.post(url, data=dict(
            email='john@example.com', password='cat', remember_me='y',
            csrf_token=csrf_token(self.page(form))),
            headers={'Referer': url})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.location, '/')
        self.assertSecurityHeaders(response, hsts=HSTS)
        self.assertIn('secure', cookie_flags(cookie(response, 'session')))
        self.assertIn('secure',
                      cookie_flags(cookie(response, 'remember_token')))
