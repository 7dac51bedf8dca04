"""Races against a real server: gunicorn with the production configuration
(two worker processes of eight threads), on PostgreSQL when
TEST_DATABASE_URL names one (a scratch database), else on a SQLite file.

Requests are released together by a barrier, from threads of their own.
Each race must end with exactly one winner, every other answer the form's
own message, and no 5xx.
"""
import contextlib
import threading
import unittest

import sqlalchemy as sa
from werkzeug.security import check_password_hash

from app import create_app, db
from app.models import User
from config import TestingConfig
from tests import scratchdb
from tests.server import Browser, Server
from tests.support import PASSWORD, MailSink, field_errors

REGISTRATIONS = 20        # simultaneous registrations of one email
RESET_ROUNDS = 5          # a reset link posted twice at once, this often
DOUBLE_CLICK_ROUNDS = 3   # "Register" clicked twice, this often
NEW_PASSWORDS = ('violet tractor umbrella 42', 'copper lantern meadow 17')


def run_together(actions, timeout=60):
    """Run each callable in its own thread, released at the same moment;
    their results, in order."""
    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def run(i, action):
        barrier.wait(timeout)
        try:
            results[i] = action()
        except BaseException as exc:   # reported by the test, not lost
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, a), daemon=True)
               for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    if any(t.is_alive() for t in threads):
        raise AssertionError('a request did not finish in time')
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results


class RacesTestCase(unittest.TestCase):
    races_run = 0

    @classmethod
    def setUpClass(cls):
        stack = contextlib.ExitStack()
        cls.addClassCleanup(stack.close)
        cls.url, _ = stack.enter_context(
            scratchdb.scratch_database('races'))
        cls.mail = MailSink()
        cls.mail.start()
        stack.callback(cls.mail.stop)
        # The hash's cost is not what races: a cheap one, as in testing.
        cls.server = Server(cls.url, mail_port=cls.mail.port, extra_env={
            'FLASKY_PASSWORD_HASH_METHOD':
                TestingConfig.FLASKY_PASSWORD_HASH_METHOD})
        stack.callback(cls.server.close)
        # This process's view of the same database and secret key.
        cls.app = create_app(type('RaceCheckConfig', (TestingConfig,), {
            'SQLALCHEMY_DATABASE_URI': cls.url,
            'SECRET_KEY': cls.server.secret_key}))

        def dispose():
            with cls.app.app_context():
                db.engine.dispose()
        stack.callback(dispose)
        # The schema from the models (tests/test_cli.py checks that the
        # migrations make the same one).
        with cls.app.app_context():
            db.create_all()
        cls.server.start()

    def setUp(self):
        self.mail.clear()

    def tearDown(self):
        log = self.server.log()
        for sign in ('Traceback', 'Exception on', 'Could not send'):
            if sign in log:
                at = log.index(sign)
                self.fail('the server logged an error:\n'
                          + log[max(0, at - 200):at + 1500])

    def users_with_email(self, email):
        with self.app.app_context():
            return db.session.scalar(sa.select(sa.func.count(User.id)).where(
                User.email == email))

    def assertNoServerError(self, responses):
        statuses = [r.status for r in responses]
        self.assertFalse([s for s in statuses if s >= 500], statuses)

    def test_registrations_of_one_email_at_once(self):
        email = 'race@example.com'
        browsers = [Browser(self.server) for _ in range(REGISTRATIONS)]
        tokens = [b.form('/auth/register') for b in browsers]

        def register(i):
            return lambda: browsers[i].post('/auth/register', dict(
                csrf_token=tokens[i], email=email, username=f'racer{i}',
                password=PASSWORD, password2=PASSWORD))

        responses = run_together([register(i) for i in range(REGISTRATIONS)])
        RacesTestCase.races_run += 1
        self.assertNoServerError(responses)
        won = [r for r in responses if r.status == 302]
        lost = [r for r in responses if r.status != 302]
        self.assertEqual(len(won), 1, [r.status for r in responses])
        self.assertEqual(won[0].location, '/auth/login')
        for r in lost:
            self.assertEqual(r.status, 200)
            self.assertIn('Email already registered.', field_errors(r.text))
        self.assertEqual(self.users_with_email(email), 1)
        self.assertEqual(len(self.mail.wait_for(1)), 1)

    def test_double_click_on_register(self):
        for n in range(DOUBLE_CLICK_ROUNDS):
            with self.subTest(round=n):
                email = f'double{n}@example.com'
                browser = Browser(self.server)
                fields = dict(
                    csrf_token=browser.form('/auth/register'), email=email,
                    username=f'double{n}', password=PASSWORD,
                    password2=PASSWORD)
                responses = run_together(
                    [lambda: browser.post('/auth/register', fields)] * 2)
                RacesTestCase.races_run += 1
                self.assertNoServerError(responses)
                statuses = sorted(r.status for r in responses)
                self.assertEqual(statuses, [200, 302])
                lost = next(r for r in responses if r.status == 200)
                self.assertTrue(
                    {'Email already registered.', 'Username already in use.'}
                    & set(field_errors(lost.text)), field_errors(lost.text))
                self.assertEqual(self.users_with_email(email), 1)

    def test_reset_link_posted_twice_at_once(self):
        with self.app.app_context():
            user = User(email='reset@example.com', username='resetter',
                        password=PASSWORD, confirmed=True)
            db.session.add(user)
            db.session.commit()
            user_id = user.id
        for n in range(RESET_ROUNDS):
            with self.subTest(round=n):
                self.mail.clear()
                with self.app.app_context():
                    token = db.session.get(User, user_id) \
                        .generate_reset_token()
                path = f'/auth/reset/{token}'
                browsers = [Browser(self.server) for _ in NEW_PASSWORDS]
                csrf = [b.form(path) for b in browsers]

                def reset(i):
                    return lambda: browsers[i].post(path, dict(
                        csrf_token=csrf[i], password=NEW_PASSWORDS[i],
                        password2=NEW_PASSWORDS[i]))

                responses = run_together([reset(0), reset(1)])
                RacesTestCase.races_run += 1
                self.assertNoServerError(responses)
                locations = sorted(r.location for r in responses)
                self.assertEqual(locations, ['/auth/login', '/auth/reset'])
                winner = [r.location for r in responses].index(
                    '/auth/login')
                with self.app.app_context():
                    password_hash = db.session.get(
                        User, user_id).password_hash
                self.assertTrue(check_password_hash(
                    password_hash, NEW_PASSWORDS[winner]))
                # One change, so one notice.
                notices = [m for m in self.mail.wait_for(1)
                           if 'password has been changed' in m['Subject']]
                self.assertEqual(len(notices), 1)

    @classmethod
    def tearDownClass(cls):
        print(f'\nraces run: {cls.races_run} against gunicorn on '
              f'{scratchdb.backend()}, no 5xx')
