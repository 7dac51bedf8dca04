"""Throttling: every limit, the 429 page, and counters shared through Redis.

Each test has an app of its own, so in-memory counters start at zero.
The login tests run with the default limits; the others set smaller
limits in their test case's `config` where that saves requests.
"""
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar
from unittest import mock

import redis
from werkzeug.security import check_password_hash, generate_password_hash

from app import create_app, db, limiter
from app.main.errors import wait_in_words
from config import TestingConfig, config
from tests.support import (NEW_PASSWORD, PASSWORD, FlaskyTestCase, csrf_token,
                           flashes, free_port, stop_process)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAVBAR_BRAND = '<a class="navbar-brand" href="/">Flasky</a>'
INVALID_LOGIN = 'Invalid email or password.'
RESET_SENT = ('An email with instructions to reset your password has been '
              'sent to you.')
CONFIRM_RESENT = 'A new confirmation email has been sent to you by email.'
REDIS_URL = 'redis://127.0.0.1:6379'

# The limits the issue asked for, by setting name.
DEFAULT_LIMITS = {
    'FLASKY_LIMIT_LOGIN_PER_IP': '10 per minute',
    'FLASKY_LIMIT_LOGIN_PER_ACCOUNT': '5 per 5 minutes',
    'FLASKY_LIMIT_RESET_PER_IP': '5 per 15 minutes',
    'FLASKY_LIMIT_RESET_PER_EMAIL': '3 per hour',
    'FLASKY_LIMIT_REGISTER_PER_IP': '5 per hour',
    'FLASKY_LIMIT_RESEND_PER_USER': '3 per 15 minutes',
}


class ThrottlingTestCase(FlaskyTestCase):

    def attempt_login(self, email='john@example.com', password='wrong',
                      ip='127.0.0.1'):
        """POST the login form from `ip`; don't follow a redirect."""
        return self.submit('/auth/login', dict(email=email,
                                               password=password),
                           follow_redirects=False,
                           environ_overrides={'REMOTE_ADDR': ip})

    def request_reset(self, email='john@example.com', ip='127.0.0.1'):
        return self.submit('/auth/reset', dict(email=email),
                           follow_redirects=False,
                           environ_overrides={'REMOTE_ADDR': ip})

    def assertLoginRefused(self, response):
        """The view ran and refused the password."""
        self.assertEqual(response.status_code, 200)
        self.assertEqual(flashes(self.page(response)), [INVALID_LOGIN])

    def assertRedirect(self, response):
        self.assertEqual(response.status_code, 302)

    def assertThrottled(self, response, window):
        """A 429 page in the site layout, to retry within `window` s."""
        self.assertEqual(response.status_code, 429)
        retry_after = int(response.headers['Retry-After'])
        self.assertGreater(retry_after, 0)
        self.assertLessEqual(retry_after, window + 1)
        page = self.page(response)
        self.assertIn(NAVBAR_BRAND, page)
        self.assertIn('<h1>Too Many Requests</h1>', page)
        self.assertIn('You have tried this too many times for now. '
                      'Please wait ', page)

    def assertNotLoggedIn(self):
        self.assertIn('Hello, Stranger!',
                      self.page(self.client.get('/')))


class LoginThrottlingTestCase(ThrottlingTestCase):
    """The default limits: 5 failures per account in 5 minutes, 10 per IP
    in a minute."""

    def setUp(self):
        super().setUp()
        self.add_user()

    def fail_logins(self, count, **kwargs):
        for _ in range(count):
            self.assertLoginRefused(self.attempt_login(**kwargs))

    def test_failures_under_the_account_limit_are_answered(self):
        self.fail_logins(5)

    def test_sixth_failure_for_an_account_is_429(self):
        self.fail_logins(5)
        response = self.attempt_login()
        self.assertThrottled(response, 300)
        self.assertIn('Please wait 5 minutes, then try again.',
                      self.page(response))

    def test_right_password_is_refused_over_the_limit(self):
        self.fail_logins(5)
        self.assertThrottled(self.attempt_login(password=PASSWORD), 300)
        self.assertNotLoggedIn()

    def test_over_the_limit_no_password_hash_is_checked(self):
        self.fail_logins(4)
        with mock.patch('app.models.check_password_hash',
                        wraps=check_password_hash) as check:
            self.assertLoginRefused(self.attempt_login())
            self.assertEqual(check.call_count, 1, 'control: under the limit')
            self.assertThrottled(self.attempt_login(password=PASSWORD), 300)
            self.assertEqual(check.call_count, 1)

    def test_success_after_failures_is_let_in_and_not_counted(self):
        self.fail_logins(4)
        self.assertRedirect(self.attempt_login(password=PASSWORD))
        self.logout()
        self.assertRedirect(self.attempt_login(password=PASSWORD))
        self.logout()
        # Two successes did not count: one failure is still allowed.
        self.fail_logins(1)
        self.assertThrottled(self.attempt_login(), 300)

    def test_account_limit_holds_across_ips(self):
        for i in range(1, 6):
            self.fail_logins(1, ip=f'10.0.0.{i}')
        self.assertThrottled(self.attempt_login(ip='10.0.0.6'), 300)

    def test_account_is_the_email_trimmed_and_lowercased(self):
        for email in ('john@example.com', 'JOHN@EXAMPLE.COM',
                      ' John@Example.com ', 'john@example.COM\t',
                      'jOhN@example.com'):
            self.fail_logins(1, email=email)
        self.assertThrottled(self.attempt_login(email='John@example.com'),
                             300)

    def test_other_account_is_not_blocked(self):
        self.add_user(email='susan@example.com', username='susan',
                      password='dog')
        self.fail_logins(5)
        self.assertThrottled(self.attempt_login(), 300)
        self.assertRedirect(self.attempt_login(email='susan@example.com',
                                               password='dog'))

    def test_ip_limit_across_accounts(self):
        for i in range(10):
            self.fail_logins(1, email=f'user{i}@example.com')
        response = self.attempt_login(email='user10@example.com')
        self.assertThrottled(response, 60)
        # Another address is not throttled, for the same accounts.
        self.fail_logins(1, email='user10@example.com', ip='10.0.0.1')

    def test_login_form_is_never_limited(self):
        self.fail_logins(5)
        self.assertThrottled(self.attempt_login(), 300)
        for i in range(10):
            self.fail_logins(1, email=f'user{i}@example.com', ip='10.0.0.1')
        self.assertThrottled(self.attempt_login(email='user10@example.com',
                                                ip='10.0.0.1'), 60)
        for ip in ('127.0.0.1', '10.0.0.1'):
            for _ in range(12):
                response = self.client.get(
                    '/auth/login', environ_overrides={'REMOTE_ADDR': ip})
                self.assertEqual(response.status_code, 200)


class ResetThrottlingTestCase(ThrottlingTestCase):
    """The default limits: 3 requests per email in an hour, 5 per IP in
    15 minutes."""

    def setUp(self):
        super().setUp()
        self.add_user()

    def assertResetAnswered(self, response):
        self.assertRedirect(response)
        follow = self.client.get(response.headers['Location'])
        self.assertEqual(flashes(self.page(follow)), [RESET_SENT])

    def test_requests_under_the_email_limit_send_mail(self):
        for i in range(3):
            self.assertResetAnswered(self.request_reset(ip=f'10.0.0.{i}'))
        self.assertEqual(len(self.mail.wait_for(3)), 3)

    def test_fourth_request_for_an_email_is_429_and_sends_nothing(self):
        for i in range(3):
            self.assertResetAnswered(self.request_reset(ip=f'10.0.0.{i}'))
        self.mail.wait_for(3)
        with mock.patch('app.auth.views.send_email') as send:
            response = self.request_reset(email=' John@Example.COM',
                                          ip='10.0.0.9')
        self.assertThrottled(response, 3600)
        send.assert_not_called()
        self.assertEqual(len(self.mail.messages), 3)

    def test_unknown_email_is_limited_like_a_known_one(self):
        for i in range(3):
            self.assertResetAnswered(self.request_reset(
                email='nobody@example.com', ip=f'10.0.0.{i}'))
        self.assertThrottled(self.request_reset(email='nobody@example.com',
                                                ip='10.0.0.9'), 3600)
        self.assertEqual(self.mail.messages, [])

    def test_sixth_request_from_an_ip_is_429(self):
        for i in range(5):
            self.assertResetAnswered(self.request_reset(
                email=f'user{i}@example.com'))
        with mock.patch('app.auth.views.send_email') as send:
            self.assertThrottled(self.request_reset(), 900)
        send.assert_not_called()
        self.assertEqual(self.mail.messages, [])
        # From another address the same form still works.
        self.assertResetAnswered(self.request_reset(ip='10.0.0.1'))
        self.assertEqual(len(self.mail.wait_for(1)), 1)

    def test_reset_form_is_never_limited(self):
        for i in range(5):
            self.request_reset(email=f'user{i}@example.com')
        self.assertThrottled(self.request_reset(), 900)
        for _ in range(10):
            self.assertEqual(self.client.get('/auth/reset').status_code,
                             200)


class RegisterThrottlingTestCase(ThrottlingTestCase):
    config = dict(FLASKY_LIMIT_REGISTER_PER_IP='2 per hour')

    def register_as(self, name, ip='127.0.0.1', password2=None):
        return self.submit('/auth/register', dict(
            email=f'{name}@example.com', username=name, password=PASSWORD,
            password2=PASSWORD if password2 is None else password2),
            follow_redirects=False, environ_overrides={'REMOTE_ADDR': ip})

    def test_registration_over_the_limit_is_429_and_does_nothing(self):
        self.assertRedirect(self.register_as('john'))
        self.assertRedirect(self.register_as('susan'))
        self.mail.wait_for(2)
        with mock.patch('app.models.generate_password_hash',
                        wraps=generate_password_hash) as make_hash, \
                mock.patch('app.auth.views.send_email') as send:
            self.assertThrottled(self.register_as('david'), 3600)
        make_hash.assert_not_called()
        send.assert_not_called()
        self.assertEqual(self.user_count(), 2)
        self.assertIsNone(self.get_user('david@example.com'))
        self.assertEqual(len(self.mail.messages), 2)

    def test_only_successful_registrations_count(self):
        for _ in range(3):
            response = self.register_as('john', password2=NEW_PASSWORD)
            self.assertEqual(response.status_code, 200)
        self.assertRedirect(self.register_as('john'))
        response = self.register_as('john')     # taken now: refused
        self.assertEqual(response.status_code, 200)
        self.assertRedirect(self.register_as('susan'))
        self.assertThrottled(self.register_as('david'), 3600)

    def test_limit_is_per_ip(self):
        self.assertRedirect(self.register_as('john'))
        self.assertRedirect(self.register_as('susan'))
        self.assertThrottled(self.register_as('david'), 3600)
        self.assertRedirect(self.register_as('david', ip='10.0.0.1'))
        self.assertEqual(self.user_count(), 3)

    def test_register_form_is_never_limited(self):
        self.register_as('john')
        self.register_as('susan')
        self.assertThrottled(self.register_as('david'), 3600)
        for _ in range(5):
            self.assertEqual(self.client.get('/auth/register').status_code,
                             200)


class ResendThrottlingTestCase(ThrottlingTestCase):
    """The default limit: 3 re-sends per user in 15 minutes."""

    def log_in_unconfirmed(self, email='john@example.com', username='john'):
        self.add_user(email=email, username=username, confirmed=False)
        self.assertRedirect(self.attempt_login(email=email, password=PASSWORD))

    def resend(self):
        return self.client.get('/auth/confirm')

    def test_fourth_resend_is_429_and_sends_nothing(self):
        self.log_in_unconfirmed()
        for _ in range(3):
            response = self.resend()
            self.assertRedirect(response)
            self.assertEqual(
                flashes(self.page(self.client.get('/auth/unconfirmed'))),
                [CONFIRM_RESENT])
        self.assertEqual(len(self.mail.wait_for(3)), 3)
        with mock.patch('app.auth.views.send_email') as send:
            self.assertThrottled(self.resend(), 900)
        send.assert_not_called()
        self.assertEqual(len(self.mail.messages), 3)

    def test_limit_is_per_user(self):
        self.log_in_unconfirmed()
        for _ in range(3):
            self.assertRedirect(self.resend())
        self.assertThrottled(self.resend(), 900)
        # Another user, from the same address.
        self.client = self.app.test_client()
        self.log_in_unconfirmed('susan@example.com', 'susan')
        self.assertRedirect(self.resend())
        self.assertEqual(self.mail.wait_for(4)[-1]['To'],
                         'susan@example.com')

    def test_anonymous_visits_are_not_counted(self):
        for _ in range(5):
            response = self.resend()
            self.assertTrue(response.headers['Location'].startswith(
                '/auth/login?next='))
        self.log_in_unconfirmed()
        self.assertRedirect(self.resend())


class ThrottlingOffTestCase(ThrottlingTestCase):
    config = dict(RATELIMIT_ENABLED=False)

    def test_no_limit_when_disabled(self):
        self.add_user()
        for _ in range(7):
            self.assertLoginRefused(self.attempt_login())


class ThrottlingBackOnTestCase(ThrottlingTestCase):
    """The limiter is one object shared by every app: switching it off
    for one app must not leave it off for the next."""

    def setUp(self):
        off = type('OffConfig', (TestingConfig,),
                   dict(RATELIMIT_ENABLED=False))
        with create_app(off).app_context():
            db.engine.dispose()
        self.assertFalse(limiter.enabled, 'control: the limiter is off')
        super().setUp()

    def test_an_app_after_a_disabled_one_is_throttled(self):
        self.assertTrue(limiter.enabled)
        self.add_user()
        for _ in range(5):
            self.assertLoginRefused(self.attempt_login())
        self.assertThrottled(self.attempt_login(), 300)


class AppWideLimitTestCase(ThrottlingTestCase):
    """The site sets no app-wide limit, but a deployment that does gets
    it: Flask-Limiter's check before every request stays for it."""
    config = dict(RATELIMIT_DEFAULT='2 per minute')

    def test_every_page_is_limited(self):
        for _ in range(2):
            self.assertEqual(self.client.get('/secret').status_code, 302)
        self.assertThrottled(self.client.get('/secret'), 60)


class ThrottlingConfigTestCase(unittest.TestCase):

    def test_every_config_throttles_with_the_default_limits(self):
        for name, config_class in config.items():
            with self.subTest(config=name):
                self.assertIs(config_class.RATELIMIT_ENABLED, True)
                self.assertIs(config_class.RATELIMIT_HEADERS_ENABLED, True)
                for setting, limit in DEFAULT_LIMITS.items():
                    self.assertEqual(getattr(config_class, setting), limit)

    def read_config(self, **env):
        full_env = {key: value for key, value in os.environ.items()
                    if not key.startswith('RATELIMIT_')}
        full_env.update(env, PYTHONDONTWRITEBYTECODE='1')
        code = ('import config\n'
                'for name in ("development", "production", "testing"):\n'
                '    c = config.config[name]\n'
                '    print(name, c.RATELIMIT_STORAGE_URI,'
                ' c.RATELIMIT_KEY_PREFIX)\n')
        result = subprocess.run([sys.executable, '-c', code], cwd=ROOT,
                                env=full_env, capture_output=True,
                                text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.splitlines()

    def test_storage_and_prefix_come_from_the_environment(self):
        self.assertEqual(self.read_config(), [
            'development memory:// flasky',
            'production memory:// flasky',
            'testing memory:// flasky'])
        self.assertEqual(self.read_config(RATELIMIT_STORAGE_URI=REDIS_URL,
                                          RATELIMIT_KEY_PREFIX='site1'), [
            f'development {REDIS_URL} site1',
            f'production {REDIS_URL} site1',
            'testing memory:// site1'])

    def test_wait_in_words(self):
        for seconds, words in [(0.2, 'a second'), (1, 'a second'),
                               (40, '40 seconds'), (60, 'a minute'),
                               (61, '2 minutes'), (300, '5 minutes'),
                               (3600, '60 minutes'), (5401, '2 hours')]:
            with self.subTest(seconds=seconds):
                self.assertEqual(wait_in_words(seconds), words)


# -- two server processes ----------------------------------------------

TIMEOUT = 60           # seconds, for any one command
SERVER_START = 20      # seconds, for a server to answer
HTTP_TIMEOUT = 10      # seconds, for one request

# What the caller's environment must not pass to the servers.
UNWANTED = ('FLASK_APP', 'FLASK_CONFIG', 'FLASK_COVERAGE', 'FLASK_DEBUG',
            'FLASK_ENV', 'DATABASE_URL', 'DEV_DATABASE_URL',
            'TEST_DATABASE_URL', 'SECRET_KEY', 'PYTHONSTARTUP',
            'MAIL_SERVER')


class Browser:
    """A visitor of one server: cookies kept, no proxy, CSRF tokens read
    from the forms."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPCookieProcessor(CookieJar()))

    def open(self, path, data=None):
        """(status, headers, body); errors are answers too."""
        if data is not None:
            data = urllib.parse.urlencode(data).encode()
        try:
            with self.opener.open(self.base_url + path, data,
                                  timeout=HTTP_TIMEOUT) as response:
                return (response.status, response.headers,
                        response.read().decode())
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers, error.read().decode()

    def login(self, email, password):
        status, _, page = self.open('/auth/login')
        if status != 200:
            raise AssertionError(f'GET /auth/login: {status}\n{page}')
        return self.open('/auth/login', dict(
            email=email, password=password, csrf_token=csrf_token(page)))


class SharedStorageTestCase(unittest.TestCase):
    """Two `manage.py runserver` processes on one database: their
    counters are shared through Redis, and only through Redis."""

    @classmethod
    def setUpClass(cls):
        # One database for the class: the tests only read its two users.
        cls.tmp_dir = tempfile.TemporaryDirectory()
        cls.tmp = cls.tmp_dir.name
        env = {key: value for key, value in os.environ.items()
               if key not in UNWANTED and not key.startswith('FLASK_RUN_')
               and not key.startswith('RATELIMIT_')}
        env.update(
            FLASK_CONFIG='development', FLASK_DEBUG='0',
            DEV_DATABASE_URL='sqlite:///' + os.path.join(cls.tmp,
                                                         'shared.sqlite'),
            PYTHONDONTWRITEBYTECODE='1', FLASK_SKIP_DOTENV='1',
            # The hash's cost is not what is counted: a cheap one, as in
            # testing (the development default, scrypt, costs ~0.1 s of
            # CPU per login).
            FLASKY_PASSWORD_HASH_METHOD=TestingConfig
            .FLASKY_PASSWORD_HASH_METHOD)
        cls.base_env = env
        try:
            cls.manage('deploy')
            output = cls.manage('shell', input=(
                "db.session.add(User(email='john@example.com', "
                "username='john', password='cat', confirmed=True))\n"
                "db.session.add(User(email='susan@example.com', "
                "username='susan', password='dog', confirmed=True))\n"
                "db.session.commit()\n"
                "print(len(db.session.scalars(db.select(User)).all()),"
                " 'users')\n"))
            if '2 users' not in output:
                raise AssertionError('users not added:\n' + output)
        except BaseException:
            cls.tmp_dir.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.tmp_dir.cleanup()

    @classmethod
    def manage(cls, *args, input=None):
        result = subprocess.run(
            [sys.executable, 'manage.py', *args], cwd=ROOT,
            env=cls.base_env, input=input, capture_output=True, text=True,
            timeout=TIMEOUT)
        output = result.stdout + result.stderr
        if result.returncode != 0 or 'Traceback' in output:
            raise AssertionError(
                f'manage.py {" ".join(args)} failed:\n{output}')
        return output

    def setUp(self):
        # Counters of this run only, in Redis as in memory.
        self.prefix = f'flasky-test-{uuid.uuid4().hex}'
        self.env = dict(self.base_env, RATELIMIT_KEY_PREFIX=self.prefix)
        self.logs = []

    def start_server(self, name, **env):
        """A server process; stopped at cleanup. Returns (browser, log)."""
        port = free_port()
        log_path = os.path.join(self.tmp, f'server-{name}.log')
        with open(log_path, 'w') as log:
            proc = subprocess.Popen(
                [sys.executable, 'manage.py', 'runserver',
                 '--host', '127.0.0.1', '--port', str(port), '--no-reload'],
                cwd=ROOT, env=dict(self.env, **env),
                stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT)
        self.addCleanup(stop_process, proc)
        return Browser(f'http://127.0.0.1:{port}'), proc, log_path

    def wait_until_serving(self, browser, proc, log_path):
        deadline = time.monotonic() + SERVER_START
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, _, _ = browser.open('/auth/login')
                if status == 200:
                    return
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.05)
        with open(log_path) as log:
            self.fail(f'server at {browser.base_url} did not answer:\n'
                      + log.read())

    def start_servers(self, **env):
        servers = [self.start_server(name, **env) for name in 'AB']
        self.logs = [log_path for _, _, log_path in servers]
        for server in servers:
            self.wait_until_serving(*server)
        return [browser for browser, _, _ in servers]

    def server_logs(self):
        text = ''
        for path in self.logs:
            with open(path) as log:
                text += f'--- {os.path.basename(path)} ---\n{log.read()}'
        return text

    def assertFailedLogin(self, answer):
        status, _, page = answer
        self.assertEqual(status, 200, self.server_logs())
        self.assertIn(INVALID_LOGIN, page)

    def assertThrottled(self, answer):
        status, headers, page = answer
        self.assertEqual(status, 429, self.server_logs())
        self.assertGreater(int(headers['Retry-After']), 0)
        self.assertIn(NAVBAR_BRAND, page)
        self.assertIn('<h1>Too Many Requests</h1>', page)

    def redis_client(self):
        client = redis.Redis.from_url(REDIS_URL, socket_timeout=5,
                                      socket_connect_timeout=5)
        self.addCleanup(client.close)
        try:
            client.ping()
        except redis.RedisError as exc:
            self.fail(f'Redis is not reachable at {REDIS_URL} ({exc}). '
                      'This test needs the local Redis server running.')
        return client

    def delete_keys(self, client):
        for key in client.scan_iter(match=f'LIMITS:LIMITER/{self.prefix}/*'):
            client.delete(key)

    def test_account_limit_holds_across_servers_through_redis(self):
        client = self.redis_client()
        self.addCleanup(self.delete_keys, client)
        a, b = self.start_servers(RATELIMIT_STORAGE_URI=REDIS_URL)
        for _ in range(5):
            self.assertFailedLogin(a.login('john@example.com', 'wrong'))
        self.assertThrottled(b.login('john@example.com', 'cat'))
        # It is the account's limit, not the address's: B still answers
        # for another account.
        self.assertFailedLogin(b.login('susan@example.com', 'wrong'))
        self.assertTrue(list(client.scan_iter(
            match=f'LIMITS:LIMITER/{self.prefix}/*')),
            'no counters in Redis under this run\'s prefix')

    def test_control_with_memory_storage_each_server_counts_alone(self):
        a, b = self.start_servers()
        for _ in range(5):
            self.assertFailedLogin(a.login('john@example.com', 'wrong'))
        self.assertThrottled(a.login('john@example.com', 'cat'))
        self.assertFailedLogin(b.login('john@example.com', 'wrong'))


if __name__ == '__main__':
    unittest.main()
