"""Bootstrap 3.4.1 and jQuery 3 from app/static/vendor/, nothing older."""
import os
import re
from urllib.parse import urljoin, urlsplit

from tests.pages import every_page, parse
from tests.support import FlaskyTestCase

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BOOTSTRAP_CSS = '/static/vendor/bootstrap/css/bootstrap.min.css'
# The site's own, after Bootstrap's.
STYLESHEETS = [BOOTSTRAP_CSS, '/static/css/flasky.css']
BOOTSTRAP_JS = '/static/vendor/bootstrap/js/bootstrap.js'
JQUERY = '/static/vendor/jquery/jquery.min.js'
SCRIPTS = [JQUERY, BOOTSTRAP_JS, '/static/js/moment-with-locales.min.js',
           '/flask-moment.js', '/static/js/moment-locale.js']
# The pages that load our passkeys script after the others.
PASSKEY_PAGES = {'/auth/login', 'login failed (a flashed alert)',
                 '/auth/passkeys/'}
JS_TYPES = ('text/javascript', 'application/javascript')


def script_versions():
    """The versions tools/update-vendor.sh fetches."""
    with open(os.path.join(ROOT, 'tools', 'update-vendor.sh')) as f:
        script = f.read()
    return dict(re.findall(r'^(\w+_VERSION)=(\S+)$', script, re.M))


class AssetsTestCase(FlaskyTestCase):

    def get_text(self, url):
        with self.client.get(url) as response:
            self.assertEqual(response.status_code, 200, url)
            return response.mimetype, response.get_data(as_text=True)

    def test_pages_use_only_our_vendor_files(self):
        for name, status, page in every_page(self):
            with self.subTest(page=name):
                parsed = parse(page)
                scripts = SCRIPTS
                if name in PASSKEY_PAGES:
                    scripts = SCRIPTS + ['/static/js/passkeys.js']
                self.assertEqual(parsed.scripts, scripts)
                self.assertEqual(parsed.stylesheets, STYLESHEETS)
                # Neither a CDN nor Flask-Bootstrap's bundled copies.
                self.assertNotIn('/static/bootstrap/', page)
                self.assertNotIn('cdnjs', page)
                self.assertNotIn('//', ' '.join(parsed.resources))

    def test_bootstrap_css(self):
        mimetype, css = self.get_text(BOOTSTRAP_CSS)
        self.assertEqual(mimetype, 'text/css')
        self.assertTrue(css.startswith(
            '/*!\n * Bootstrap v3.4.1 (https://getbootstrap.com/)\n'))

    def test_fonts_of_the_css_are_served(self):
        mimetype, css = self.get_text(BOOTSTRAP_CSS)
        urls = {urlsplit(urljoin(BOOTSTRAP_CSS, u)).path
                for u in re.findall(r'url\(([^)]+)\)', css)}
        self.assertEqual(len(urls), 5)
        for url in sorted(urls):
            with self.subTest(url=url):
                self.assertTrue(url.startswith(
                    '/static/vendor/bootstrap/fonts/glyphicons'))
                with self.client.get(url) as response:
                    self.assertEqual(response.status_code, 200)
                    self.assertTrue(response.get_data())

    def test_jquery(self):
        mimetype, js = self.get_text(JQUERY)
        self.assertIn(mimetype, JS_TYPES)
        match = re.match(r'/\*! jQuery v(3\.\d+\.\d+) \| ', js)
        self.assertIsNotNone(match, js[:80])
        self.assertEqual(match.group(1),
                         script_versions()['JQUERY_VERSION'])

    def test_bootstrap_js_banner_and_jquery_check(self):
        mimetype, js = self.get_text(BOOTSTRAP_JS)
        self.assertIn(mimetype, JS_TYPES)
        self.assertTrue(js.startswith(
            '/*!\n * Bootstrap v3.4.1 (https://getbootstrap.com/)\n'))
        self.assertEqual(script_versions()['BOOTSTRAP_VERSION'], '3.4.1')
        self.assertIn('requires jQuery version 1.9.1 or higher, but lower '
                      'than version 4', js)

    def test_bootstrap_js_has_only_the_plugins_used(self):
        mimetype, js = self.get_text(BOOTSTRAP_JS)
        self.assertEqual(re.findall(r'\* Bootstrap: (\w+)\.js v3\.4\.1', js),
                         ['transition', 'alert', 'collapse', 'dropdown'])
        self.assertEqual(
            set(re.findall(r'\$\.fn\.(\w+)\s*=\s*Plugin\b', js)),
            {'alert', 'collapse', 'dropdown'})
        self.assertIn('$.fn.emulateTransitionEnd', js)
        # The carousel (CVE-2024-6484) and button (CVE-2024-6485)
        # plugins are left out.
        for absent in ('$.fn.carousel', '$.fn.button', 'Carousel',
                       'loadingText', 'data-ride', '$.fn.tooltip'):
            with self.subTest(absent=absent):
                self.assertNotIn(absent, js)

    def test_licenses_are_shipped(self):
        for url, words in (
                ('/static/vendor/bootstrap/LICENSE', 'Twitter, Inc.'),
                ('/static/vendor/jquery/LICENSE.txt', 'OpenJS Foundation')):
            with self.subTest(url=url):
                mimetype, text = self.get_text(url)
                self.assertIn(words, text)
                self.assertIn('Permission is hereby granted', text)

    def test_flask_bootstraps_bundled_files_are_not_served(self):
        for url in ('/static/bootstrap/jquery.min.js',
                    '/static/bootstrap/jquery.js',
                    '/static/bootstrap/js/bootstrap.min.js',
                    '/static/bootstrap/css/bootstrap.min.css'):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 404)
