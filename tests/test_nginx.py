"""deploy/nginx.conf in front of gunicorn, with a real nginx.

The site nginx runs is deploy/nginx.conf itself, with only its
addresses and paths changed, so these tests check the shipped rules:
nginx keeps the home page as shown to visitors without cookies, never
stores or serves a cached page for a request with a cookie, and serves
the static files itself.

Without nginx the tests are skipped with one line saying why, except on
CI (CI set in the environment), where a missing nginx is an error.
"""
import os
import re
import socket
import subprocess
import tempfile
import time
import unittest
import uuid

from bench.server import (Browser, csrf_token, free_port,
                          stop_process)
from tests.messages import HELLO_STRANGER, LOGGED_OUT, hello, logged_in_as
from tests.support import PASSWORD, ServerTestCase, require_program

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SITE = os.path.join(ROOT, 'deploy', 'nginx.conf')
STATIC = os.path.join(ROOT, 'app', 'static')
NGINX = '/usr/sbin/nginx'
START_TIMEOUT = 30  # seconds for nginx to accept connections

EMAIL, USERNAME = 'john@example.com', 'john'


def replace_once(text, old, new):
    # Each value replaced must be in the site once: if deploy/nginx.conf
    # changes shape, the test says so instead of testing something else.
    if text.count(old) != 1:
        raise AssertionError(f'{old!r} is not in {SITE} exactly once')
    return text.replace(old, new)


class Nginx:
    """nginx in the foreground, everything of its own in `tmp`, serving
    deploy/nginx.conf on 127.0.0.1:`port` in front of `upstream`."""

    def __init__(self, tmp, port, upstream):
        self.tmp = tmp
        self.port = port
        self.error_log = os.path.join(tmp, 'error.log')
        with open(SITE) as f:
            site = f.read()
        site = replace_once(site, 'listen 80;', f'listen 127.0.0.1:{port};')
        site = replace_once(site, 'http://127.0.0.1:8000',
                            f'http://{upstream}')
        site = replace_once(site, '/srv/flasky/app/static/', STATIC + '/')
        self.cache = os.path.join(tmp, 'cache')
        site = replace_once(site, '/var/cache/nginx/flasky', self.cache)
        temp_paths = ''.join(
            f'    {kind}_temp_path {os.path.join(tmp, kind)};\n'
            for kind in ('client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'))
        # As root, nginx would run its workers as nobody, who may not
        # enter the temporary directory.
        user = 'user root;\n' if os.geteuid() == 0 else ''
        self.config = os.path.join(tmp, 'nginx.conf')
        with open(self.config, 'w') as f:
            f.write(f'{user}worker_processes 1;\n'
                    f'pid {os.path.join(tmp, "nginx.pid")};\n'
                    'events {}\n'
                    'http {\n'
                    '    include /etc/nginx/mime.types;\n'
                    f'    access_log {os.path.join(tmp, "access.log")};\n'
                    f'{temp_paths}'
                    f'{site}'
                    '}\n')
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [NGINX, '-p', self.tmp, '-c', self.config, '-e', self.error_log,
             '-g', 'daemon off;'],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('nginx exited:\n' + self.log())
            try:
                with socket.create_connection(('127.0.0.1', self.port), 1):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError('nginx did not answer in time:\n' + self.log())

    def stop(self):
        if self.process is not None:
            stop_process(self.process)

    def log(self):
        try:
            with open(self.error_log) as f:
                return f.read()
        except OSError:
            return ''


class NginxTestCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        require_program(NGINX, 'nginx', 'nginx')
        super().setUpClass()
        cls.add_user(EMAIL, USERNAME)
        # The site answers to its SERVER_NAME and, for the caching test's
        # hosts of its own, to every name under example.com.
        cls.gunicorn = cls.start_server(FLASKY_PROXIES='1',
                                        TRUSTED_HOSTS='.example.com')
        tmp_dir = tempfile.TemporaryDirectory()
        cls.addClassCleanup(tmp_dir.cleanup)
        cls.port = free_port()
        cls.nginx = Nginx(tmp_dir.name, cls.port, cls.gunicorn.host)
        cls.addClassCleanup(cls.nginx.stop)
        cls.nginx.start()

    def visitor(self, host=None):
        """A new visitor of the site through nginx, without cookies."""
        return Browser(self.port, host=host)

    def logged_in(self):
        visitor = self.visitor()
        response = visitor.login(EMAIL, PASSWORD)
        self.assertEqual(response.status, 302, response.text)
        return visitor

    def assertPage(self, response, cache_status, text=None):
        self.assertEqual(response.status, 200)
        self.assertEqual(response.headers['X-Cache-Status'], cache_status)
        if text is not None:
            self.assertIn(text, response.text)

    def test_home_page_for_visitors_without_cookies_is_cached(self):
        # A host of this test's own: the cache key includes the host.
        host = f'{uuid.uuid4().hex}.example.com'
        first = self.visitor(host).get('/')
        self.assertPage(first, 'MISS', HELLO_STRANGER)
        self.assertEqual(first.headers['Cache-Control'],
                         'public, max-age=0, s-maxage=60')
        self.assertPage(self.visitor(host).get('/'), 'HIT', HELLO_STRANGER)
        self.assertPage(self.visitor('other.' + host).get('/'), 'MISS',
                        HELLO_STRANGER)

    def test_the_cache_keeps_a_copy_per_language(self):
        host = f'{uuid.uuid4().hex}.example.com'
        zh = {'Accept-Language': 'zh-TW'}

        def lang(response):
            return re.search(r'<html lang="([^"]+)"', response.text).group(1)
        english = self.visitor(host).get('/')
        self.assertPage(english, 'MISS')
        chinese = self.visitor(host).request('GET', '/', headers=zh)
        self.assertPage(chinese, 'MISS')
        self.assertEqual(lang(chinese), 'zh-TW')
        again = self.visitor(host).request('GET', '/', headers=zh)
        self.assertEqual(lang(again), 'zh-TW')
        self.assertEqual(lang(self.visitor(host).get('/')), 'en')

    def test_logged_in_visitor_is_never_served_from_the_cache(self):
        self.visitor().get('/')  # the cached copy, if not there yet
        visitor = self.logged_in()
        # '/' twice: nor is the user's own first answer served again.
        for path in ('/', '/', '/secret', '/auth/change-password'):
            with self.subTest(path=path):
                response = visitor.get(path)
                self.assertPage(response, 'BYPASS')
                self.assertEqual(response.headers['Cache-Control'],
                                 'private, no-store')
        self.assertIn(hello(USERNAME), visitor.get('/').text)
        self.assertIn(logged_in_as(USERNAME), visitor.get('/secret').text)
        # Nor was the user's page stored for anyone else.
        page = self.visitor().get('/').text
        self.assertIn(HELLO_STRANGER, page)
        self.assertNotIn(USERNAME, page)

    def test_logged_out_visitor_is_not_served_the_cached_copy(self):
        self.visitor().get('/')
        self.assertPage(self.visitor().get('/'), 'HIT')
        visitor = self.logged_in()
        self.assertEqual(visitor.submit('/auth/logout', {}).status, 302)
        self.assertTrue(visitor.cookies)
        self.assertPage(visitor.get('/'), 'BYPASS', LOGGED_OUT)

    def cached_answers(self):
        """How many answers nginx keeps: one file each."""
        return sum(len(files) for _, _, files in os.walk(self.nginx.cache))

    def test_answers_to_requests_with_cookies_are_never_stored(self):
        # The script is public whoever asks, cookies or not: only nginx
        # keeps the answer to a visitor with cookies out of the cache.
        path = f'/flask-moment.js?v={uuid.uuid4().hex}'
        before = self.cached_answers()
        visitor = self.visitor()
        visitor.form('/auth/login')
        self.assertTrue(visitor.cookies)
        response = visitor.get(path)
        self.assertPage(response, 'BYPASS')
        self.assertIn('public', response.headers['Cache-Control'])
        self.assertEqual(self.cached_answers(), before)
        self.assertPage(self.visitor().get(path), 'MISS')
        self.assertPage(self.visitor().get(path), 'HIT')
        self.assertEqual(self.cached_answers(), before + 1)

    def test_login_form_is_never_cached(self):
        first = self.visitor().get('/auth/login')
        second = self.visitor().get('/auth/login')
        for response in first, second:
            self.assertPage(response, 'MISS')
            self.assertEqual(response.headers['Cache-Control'],
                             'private, no-store')
        self.assertNotEqual(csrf_token(first.text), csrf_token(second.text))

    def test_static_files_are_served_by_nginx(self):
        response = self.visitor().get('/static/favicon.ico')
        self.assertEqual(response.status, 200)
        with open(os.path.join(STATIC, 'favicon.ico'), 'rb') as f:
            self.assertEqual(response.body, f.read())
        self.assertEqual(response.headers['Cache-Control'], 'max-age=86400')
        self.assertEqual(response.headers['X-Content-Type-Options'],
                         'nosniff')
        # The app sends its Content-Security-Policy with every answer.
        self.assertIsNone(response.headers['Content-Security-Policy'])
        direct = Browser(self.gunicorn.port).get('/static/favicon.ico')
        self.assertIsNotNone(direct.headers['Content-Security-Policy'])

    def test_a_body_over_64_kib_stops_at_nginx(self):
        big = self.visitor().request(
            'POST', '/auth/login', body=b'email=' + b'x' * 70000,
            headers={'Content-Type': 'application/x-www-form-urlencoded'})
        # nginx's own page: the app never saw the request.
        self.assertEqual(big.status, 413)
        self.assertIn('<center>nginx/', big.text)

    def test_visitor_cannot_claim_https(self):
        # nginx replaces the visitor's X-Forwarded-Proto with its own
        # scheme; the app sends HSTS on HTTPS only.
        https = {'X-Forwarded-Proto': 'https'}
        response = self.visitor().request('GET', '/auth/login',
                                          headers=https)
        self.assertIsNone(response.headers['Strict-Transport-Security'])
        direct = Browser(self.gunicorn.port).request(
            'GET', '/auth/login', headers=https)
        self.assertIsNotNone(direct.headers['Strict-Transport-Security'])


if __name__ == '__main__':
    unittest.main()
