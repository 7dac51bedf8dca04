"""Throttling: every limit, the 429 page, and counters shared through Redis.

Each test has an app of its own, so in-memory counters start at zero.
The login tests run with the default limits; the others set smaller
limits in their test case's `config` where that saves requests.
"""
import os
import subprocess
import sys
import unittest
import uuid
from unittest import mock

import redis
from werkzeug.security import check_password_hash, generate_password_hash

from app import create_app, db, limiter
from app.main.errors import wait_in_words
from bench.server import Browser, clean_environ
from config import TestingConfig
from tests.messages import (CONFIRM_RESENT, EMAIL_CHANGE_SENT, EMAIL_TAKEN,
                            HELLO_STRANGER, INVALID_LOGIN,
                            PASSWORDS_DIFFER, RESET_SENT, TOO_EASY,
                            TOO_MANY_REQUESTS, TRIED_TOO_OFTEN,
                            USERNAME_TAKEN, please_wait)
from tests.support import (NAVBAR_BRAND, NEW_PASSWORD, PASSWORD,
                           FlaskyTestCase, ServerTestCase, field_errors,
                           flashes)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REDIS_URL = 'redis://127.0.0.1:6379'


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
        self.assertIn(f'<h1>{TOO_MANY_REQUESTS}</h1>', page)
        self.assertIn(TRIED_TOO_OFTEN, page)

    def assertNotLoggedIn(self):
        self.assertIn(HELLO_STRANGER, self.page(self.client.get('/')))


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
        self.assertIn(please_wait('5 minutes'), self.page(response))

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

    def test_account_is_the_address_as_stored(self):
        # Other ways of writing the address (a fullwidth letter, a domain
        # in capitals of another script) reach the same account: each
        # counts against it.
        for email in ('john@\uff45xample.com', 'john@exampl\uff45.com',
                      'john@EXAMPLE.\uff23\uff2f\uff2d',
                      'john@\uff45\uff58ample.com',
                      'john@ex\uff41mple.com'):
            self.fail_logins(1, email=email)
        self.assertThrottled(self.attempt_login(password=PASSWORD), 300)
        self.assertNotLoggedIn()

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

    def test_refused_registrations_count_too(self):
        response = self.register_as('john', password2=NEW_PASSWORD)
        self.assertEqual(response.status_code, 200)
        self.assertRedirect(self.register_as('john'))
        self.assertThrottled(self.register_as('susan'), 3600)

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


class RegisterProbingTestCase(ThrottlingTestCase):
    """The default limit: 10 register POSTs per IP in an hour, refused
    ones too, as "Email already registered." tells who has an account."""

    def register(self, email, username='someone', password=PASSWORD,
                 password2=None, ip='127.0.0.1'):
        return self.submit('/auth/register', dict(
            email=email, username=username, password=password,
            password2=password if password2 is None else password2),
            follow_redirects=False, environ_overrides={'REMOTE_ADDR': ip})

    def test_probing_addresses_meets_a_429(self):
        self.add_user()
        for i in range(10):
            email = 'john@example.com' if i % 2 else f'x{i}@example.com'
            response = self.register(email, username='john')
            self.assertEqual(response.status_code, 200)
            self.assertTrue(field_errors(self.page(response)))
        with mock.patch('app.auth.forms.email_taken') as lookup:
            response = self.register('susan@example.com')
        self.assertThrottled(response, 3600)
        lookup.assert_not_called()
        # From another address the form still answers.
        response = self.register('john@example.com', ip='10.0.0.1')
        self.assertIn(EMAIL_TAKEN, field_errors(self.page(response)))

    def test_a_person_registering_meets_no_limit(self):
        # Mistakes first, as people make them, then the account.
        self.add_user()
        for fields, error in [
                (dict(password='password123'), TOO_EASY),
                (dict(password2=NEW_PASSWORD), PASSWORDS_DIFFER),
                (dict(username='john'), USERNAME_TAKEN),
                (dict(email='john@example.com'), EMAIL_TAKEN)]:
            response = self.register(**dict(
                dict(email='susan@example.com', username='susan'),
                **fields))
            errors = field_errors(self.page(response))
            self.assertTrue(any(e.startswith(error) for e in errors),
                            errors)
        self.assertRedirect(self.register('susan@example.com', 'susan'))
        self.assertIsNotNone(self.get_user('susan@example.com'))


class ChangeEmailThrottlingTestCase(ThrottlingTestCase):
    """The default limit: 5 change-email POSTs per user in an hour,
    refused ones too."""

    def setUp(self):
        super().setUp()
        self.add_user()
        self.add_user('susan@example.com', 'susan')

    def change_email(self, email, password=PASSWORD, ip='127.0.0.1'):
        return self.submit('/auth/change_email', dict(
            email=email, password=password), follow_redirects=False,
            environ_overrides={'REMOTE_ADDR': ip})

    def test_probing_addresses_meets_a_429(self):
        self.assertRedirect(self.attempt_login(password=PASSWORD))
        for i in range(5):
            response = self.change_email('susan@example.com')
            self.assertIn(EMAIL_TAKEN, field_errors(self.page(response)))
        self.assertThrottled(self.change_email('david@example.com'), 3600)

    def test_wrong_passwords_count(self):
        self.assertRedirect(self.attempt_login(password=PASSWORD))
        for i in range(5):
            response = self.change_email('new@example.com', 'wrong')
            self.assertEqual(flashes(self.page(response)),
                             [INVALID_LOGIN])
        with mock.patch('app.auth.views.send_email_and_wait') as send:
            self.assertThrottled(self.change_email('new@example.com'), 3600)
        send.assert_not_called()

    def test_one_change_meets_no_limit(self):
        self.assertRedirect(self.attempt_login(password=PASSWORD))
        self.change_email('susan@example.com')
        self.change_email('new@example.com', 'wrong')
        response = self.change_email('new@example.com')
        self.assertRedirect(response)
        follow = self.client.get(response.headers['Location'])
        self.assertEqual(flashes(self.page(follow)), [EMAIL_CHANGE_SENT])

    def test_change_email_form_is_never_limited(self):
        self.assertRedirect(self.attempt_login(password=PASSWORD))
        for _ in range(5):
            self.change_email('susan@example.com')
        self.assertThrottled(self.change_email('susan@example.com'), 3600)
        for _ in range(5):
            self.assertEqual(
                self.client.get('/auth/change_email').status_code, 200)


class ChangeEmailPerIPTestCase(ThrottlingTestCase):
    config = dict(FLASKY_LIMIT_CHANGE_EMAIL_PER_IP='2 per hour')

    def test_limit_is_per_ip_across_accounts(self):
        for name in ('john', 'susan', 'david'):
            self.add_user(f'{name}@example.com', name)
        for name in ('john', 'susan', 'david'):
            self.client = self.app.test_client()
            self.assertRedirect(self.attempt_login(
                email=f'{name}@example.com', password=PASSWORD))
            response = self.submit('/auth/change_email', dict(
                email='john@example.com', password=PASSWORD),
                follow_redirects=False)
            if name == 'david':
                self.assertThrottled(response, 3600)
            else:
                self.assertIn(EMAIL_TAKEN,
                              field_errors(self.page(response)))
        # David, logged in from another address.
        self.client = self.app.test_client()
        elsewhere = {'REMOTE_ADDR': '10.0.0.1'}
        self.assertRedirect(self.attempt_login(
            email='david@example.com', password=PASSWORD, ip='10.0.0.1'))
        response = self.submit('/auth/change_email', dict(
            email='john@example.com', password=PASSWORD),
            follow_redirects=False, environ_overrides=elsewhere)
        self.assertIn(EMAIL_TAKEN, field_errors(self.page(response)))


class ResendThrottlingTestCase(ThrottlingTestCase):
    """The default limit: 3 re-sends per user in 15 minutes."""

    def log_in_unconfirmed(self, email='john@example.com', username='john'):
        self.add_user(email=email, username=username, confirmed=False)
        self.assertRedirect(self.attempt_login(email=email, password=PASSWORD))

    def resend(self):
        return self.resend_confirmation(follow_redirects=False)

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
            response = self.client.post('/auth/confirm')
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


class ThrottlingConfigTestCase(unittest.TestCase):

    def read_config(self, **env):
        code = ('import config\n'
                'for name in ("development", "production", "testing"):\n'
                '    c = config.config[name]\n'
                '    print(name, c.RATELIMIT_STORAGE_URI,'
                ' c.RATELIMIT_KEY_PREFIX)\n')
        result = subprocess.run(
            [sys.executable, '-c', code], cwd=ROOT, capture_output=True,
            env=clean_environ(PYTHONDONTWRITEBYTECODE='1', **env),
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


class SharedStorageTestCase(ServerTestCase):
    """Servers of one site (one process each) on one database: two that
    count in Redis share their counters, and only through Redis; two that
    count in memory, the control, each count alone."""

    @classmethod
    def setUpClass(cls):
        cls.redis = redis.Redis.from_url(REDIS_URL, socket_timeout=5,
                                         socket_connect_timeout=5)
        cls.addClassCleanup(cls.redis.close)
        try:
            cls.redis.ping()
        except redis.RedisError as exc:
            raise AssertionError(
                f'Redis is not reachable at {REDIS_URL} ({exc}). These '
                'tests need the local Redis server running.') from None
        # Counters of this run only, deleted afterwards.
        cls.prefix = f'flasky-test-{uuid.uuid4().hex}'
        cls.addClassCleanup(cls.delete_counters)
        super().setUpClass()
        cls.add_user('john@example.com', 'john', 'cat')
        cls.add_user('susan@example.com', 'susan', 'dog')
        shared = dict(RATELIMIT_STORAGE_URI=REDIS_URL,
                      RATELIMIT_KEY_PREFIX=cls.prefix)
        cls.shared = [cls.start_server(workers=1, **shared)
                      for _ in range(2)]
        cls.alone = [cls.start_server(workers=1) for _ in range(2)]

    @classmethod
    def counters(cls):
        return list(cls.redis.scan_iter(
            match=f'LIMITS:LIMITER/{cls.prefix}/*'))

    @classmethod
    def delete_counters(cls):
        for key in cls.counters():
            cls.redis.delete(key)

    def assertFailedLogin(self, response):
        self.assertEqual(response.status, 200)
        self.assertEqual(flashes(response.text), [INVALID_LOGIN])

    def assertThrottled(self, response):
        self.assertEqual(response.status, 429)
        self.assertGreater(int(response.headers['Retry-After']), 0)
        self.assertIn(NAVBAR_BRAND, response.text)
        self.assertIn(f'<h1>{TOO_MANY_REQUESTS}</h1>', response.text)

    def test_account_limit_holds_across_servers_through_redis(self):
        a, b = [Browser(server.port) for server in self.shared]
        for _ in range(5):
            self.assertFailedLogin(a.login('john@example.com', 'wrong'))
        self.assertThrottled(b.login('john@example.com', 'cat'))
        # It is the account's limit, not the address's: B still answers
        # for another account.
        self.assertFailedLogin(b.login('susan@example.com', 'wrong'))
        self.assertTrue(self.counters(),
                        "no counters in Redis under this run's prefix")

    def test_control_with_memory_storage_each_server_counts_alone(self):
        a, b = [Browser(server.port) for server in self.alone]
        for _ in range(5):
            self.assertFailedLogin(a.login('john@example.com', 'wrong'))
        self.assertThrottled(a.login('john@example.com', 'cat'))
        self.assertFailedLogin(b.login('john@example.com', 'wrong'))


if __name__ == '__main__':
    unittest.main()
