"""Races against a real server: gunicorn with the production configuration
(two worker processes of eight threads), on PostgreSQL when
TEST_DATABASE_URL names one (a scratch database), else on a SQLite file.

Requests are released together by a barrier, from threads of their own.
Each race must end with exactly one winner, every other answer the form's
own message, and no 5xx.
"""
import itertools
import threading
from urllib.parse import urlsplit

import sqlalchemy as sa
from werkzeug.security import check_password_hash

from app import db
from app.models import User
from bench.server import Browser
from tests import scratchdb
from tests.messages import (EMAIL_TAKEN, PASSWORD_CHANGED_SUBJECT,
                            USERNAME_TAKEN)
from tests.support import PASSWORD, ServerTestCase, field_errors

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


class Visitor(Browser):
    """A browser from an address of its own, as the proxy in front says
    (FLASKY_PROXIES=1): the races are between people, and one address
    would meet the registration limit first."""
    addresses = itertools.count(1)

    def __init__(self, port):
        super().__init__(port)
        n = next(self.addresses)
        self.address = f'10.0.{n // 256}.{n % 256}'

    def request(self, method, path, body=None, headers=None):
        return super().request(method, path, body, dict(
            headers or {}, **{'X-Forwarded-For': self.address}))


def location(response):
    """The path a redirect points to."""
    return urlsplit(response.headers.get('Location', '')).path


class RacesTestCase(ServerTestCase):
    races_run = 0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = cls.start_server(workers=2, threads=8,
                                      FLASKY_PROXIES='1')
        # Tokens made here must be ones the server accepts.
        cls.db_app.config['SECRET_KEY'] = cls.server.secret_key

    def browser(self):
        return Visitor(self.server.port)

    def users_with_email(self, email):
        with self.db_app.app_context():
            return db.session.scalar(sa.select(sa.func.count(User.id)).where(
                User.email == email))

    def assertNoServerError(self, responses):
        statuses = [r.status for r in responses]
        self.assertFalse([s for s in statuses if s >= 500], statuses)

    def test_registrations_of_one_email_at_once(self):
        email = 'race@example.com'
        browsers = [self.browser() for _ in range(REGISTRATIONS)]
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
        self.assertEqual(location(won[0]), '/auth/login')
        for r in lost:
            self.assertEqual(r.status, 200)
            self.assertIn(EMAIL_TAKEN, field_errors(r.text))
        self.assertEqual(self.users_with_email(email), 1)
        self.assertEqual(len(self.mail.wait_for(1)), 1)

    def test_double_click_on_register(self):
        for n in range(DOUBLE_CLICK_ROUNDS):
            with self.subTest(round=n):
                email = f'double{n}@example.com'
                browser = self.browser()
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
                    {EMAIL_TAKEN, USERNAME_TAKEN}
                    & set(field_errors(lost.text)), field_errors(lost.text))
                self.assertEqual(self.users_with_email(email), 1)

    def test_reset_link_posted_twice_at_once(self):
        user_id = self.add_user('reset@example.com', 'resetter')
        for n in range(RESET_ROUNDS):
            with self.subTest(round=n):
                self.mail.clear()
                with self.db_app.app_context():
                    token = db.session.get(User, user_id) \
                        .generate_reset_token()
                path = f'/auth/reset/{token}'
                browsers = [self.browser() for _ in NEW_PASSWORDS]
                csrf = [b.form(path) for b in browsers]

                def reset(i):
                    return lambda: browsers[i].post(path, dict(
                        csrf_token=csrf[i], password=NEW_PASSWORDS[i],
                        password2=NEW_PASSWORDS[i]))

                responses = run_together([reset(0), reset(1)])
                RacesTestCase.races_run += 1
                self.assertNoServerError(responses)
                locations = sorted(location(r) for r in responses)
                self.assertEqual(locations, ['/auth/login', '/auth/reset'])
                winner = [location(r) for r in responses].index(
                    '/auth/login')
                with self.db_app.app_context():
                    password_hash = db.session.get(
                        User, user_id).password_hash
                self.assertTrue(check_password_hash(
                    password_hash, NEW_PASSWORDS[winner]))
                # One change, so one notice.
                notices = [m for m in self.mail.wait_for(1)
                           if PASSWORD_CHANGED_SUBJECT in m['Subject']]
                self.assertEqual(len(notices), 1)

    @classmethod
    def tearDownClass(cls):
        print(f'\nraces run: {cls.races_run} against gunicorn on '
              f'{scratchdb.backend()}, no 5xx')
