"""No published key ever signs a session (config.py, flasky.py).

Every test runs the app in processes of its own, in a scratch copy of the
project (tests/scratchsite.py), as a developer or a web server would,
with no SECRET_KEY or FLASK_CONFIG unless it says so.
"""
import os
import secrets
import stat
import time
import unittest

from flask import Flask
from itsdangerous import BadSignature

from bench.server import Browser
from tests.scratchsite import TIMEOUT, ScratchSite
from tests.support import CommandTestCase

# The book's key, printed in config.py until this was fixed: anyone can
# sign a session or a token with it.
BOOK_KEY = 'hard to guess string'
PRINT_KEY = ('from app import create_app; '
             'print(create_app({!r}).config["SECRET_KEY"])')
GUNICORN = ('-m', 'gunicorn', '--bind', '127.0.0.1:{port}', '--workers', '2',
            '--no-control-socket')


def signs(key, cookie):
    """True if `cookie` is a Flask session signed with `key`."""
    app = Flask(__name__)
    app.secret_key = key
    try:
        app.session_interface.get_signing_serializer(app).loads(cookie)
    except BadSignature:
        return False
    return True


class SecretKeyTestCase(CommandTestCase):

    def setUp(self):
        self.site = ScratchSite()
        self.addCleanup(self.site.close)

    def in_source(self, key):
        with open(os.path.join(self.site.path, 'config.py')) as f:
            return key == BOOK_KEY or key in f.read()

    def kept_key(self):
        with open(self.site.secret_key_file) as f:
            return f.read()

    def session_cookie(self, *args, **settings):
        """Serve `python ARGS`; the session cookie its login page sets,
        and that page's headers. The server is stopped."""
        process, port = self.site.start(*args, **settings)
        self.assertIsNone(process.poll(), self.site.log(process))
        browser = Browser(port)
        response = browser.get('/auth/login')
        self.site.stop(process)
        self.assertEqual(response.status, 200)
        return browser.cookies['session'], response.headers

    def test_wsgi_server_without_flask_config_refuses_to_start_unkeyed(self):
        # `gunicorn flasky:app`, with neither FLASK_CONFIG nor SECRET_KEY.
        process, port = self.site.start(*GUNICORN, 'flasky:app')
        deadline = time.monotonic() + TIMEOUT
        while process.poll() is None and time.monotonic() < deadline:
            try:
                page = Browser(port, timeout=2).get('/auth/login')
            except OSError:     # no worker answers (yet)
                time.sleep(0.1)
                continue
            self.fail(f'gunicorn served ({page.status}) with no SECRET_KEY')
        self.assertIsNotNone(process.poll(), 'gunicorn is still running')
        self.assertNotEqual(process.returncode, 0)
        self.assertIn('SECRET_KEY is not set', self.site.log(process))
        self.assertFalse(os.path.exists(self.site.secret_key_file))

    def test_wsgi_server_without_flask_config_is_production(self):
        key = secrets.token_hex(32)
        cookie, headers = self.session_cookie(
            *GUNICORN, 'flasky:app', SECRET_KEY=key,
            SERVER_NAME='127.0.0.1:{port}')
        self.assertTrue(signs(key, cookie))
        # Production's session cookie is for HTTPS only.
        self.assertIn('; Secure', headers['Set-Cookie'])

    def test_development_server_signs_with_a_key_of_its_own(self):
        # `gunicorn manage:app` with no FLASK_CONFIG: development, as the
        # book's manage.py has it.
        cookie, _ = self.session_cookie(*GUNICORN, 'manage:app')
        self.assertFalse(signs(BOOK_KEY, cookie),
                         'the session is signed with the published key')
        key = self.kept_key()
        self.assertRegex(key, r'^[0-9a-f]{64}$')
        self.assertTrue(signs(key, cookie))
        mode = os.stat(self.site.secret_key_file).st_mode
        self.assertEqual(stat.S_IMODE(mode), 0o600)
        # After a restart the server signs with the same key, so that
        # sessions outlive it.
        cookie, _ = self.session_cookie(*GUNICORN, 'manage:app')
        self.assertEqual(self.kept_key(), key)
        self.assertTrue(signs(key, cookie))

    def test_no_configuration_signs_with_a_key_in_the_source(self):
        keys = {}
        for name in ('default', 'development', 'testing', 'production'):
            for run in (1, 2):
                result = self.site.run('-c', PRINT_KEY.format(name))
                if name == 'production':
                    self.assertExit(result, 1)
                    self.assertIn('SECRET_KEY is not set', result.stderr)
                    continue
                self.assertExit(result, 0)
                key = result.stdout.strip()
                with self.subTest(config=name, run=run):
                    self.assertGreaterEqual(len(key), 32)
                    self.assertFalse(self.in_source(key), key)
                keys.setdefault(name, []).append(key)
        # Development keeps one key; testing makes one in each process.
        kept = self.kept_key()
        self.assertEqual(keys['development'], [kept, kept])
        self.assertEqual(keys['default'], [kept, kept])
        self.assertNotEqual(keys['testing'][0], keys['testing'][1])
        self.assertNotIn(kept, keys['testing'])

    def test_secret_key_from_the_environment_is_used_and_not_kept(self):
        key = secrets.token_hex(32)
        result = self.site.run('-c', PRINT_KEY.format('development'),
                               SECRET_KEY=key)
        self.assertExit(result, 0)
        self.assertEqual(result.stdout.strip(), key)
        self.assertFalse(os.path.exists(self.site.secret_key_file))


if __name__ == '__main__':
    unittest.main()
