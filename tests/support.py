"""What the tests share: a real SMTP sink, a base TestCase per kind of
test (the test client, SMTP, a server process), small helpers.

The base TestCase never keeps an application context pushed while the
test client makes requests: Flask-Login caches the user in `g`, and a
shared context would let a test pass against a broken app. Database work
in a test goes inside `with self.app.app_context():`.
"""
import contextlib
import email
import os
import email.policy
import html
import re
import threading
import time
import unittest
from unittest import mock

import jinja2
import sqlalchemy as sa
import sqlalchemy.orm as so
from aiosmtpd.controller import Controller
from flask_babel import gettext

from app import create_app, db
from app.models import User
from bench.server import (Gunicorn, csrf_token, free_port,  # noqa: F401
                          stop_process)
from config import TestingConfig
from tests import scratchdb

# Passwords that pass the password policy.
PASSWORD = 'correct horse battery staple'
NEW_PASSWORD = 'purple monkey dishwasher lamp'
THIRD_PASSWORD = 'grey elephant umbrella waltz'
# On every page in the site's layout, error pages too.
NAVBAR_BRAND = '<a class="navbar-brand" href="/">Flasky</a>'
# A Chinese character: a text in Traditional Chinese has some.
HAN = re.compile('[\u4e00-\u9fff]')


class ProgramMissing(RuntimeError):
    """A program some tests need is not installed, and CI requires it."""


def on_ci(environ):
    """CI is set in `environ` to anything but a word for "no"."""
    return environ.get('CI', '').strip().lower() not in (
        '', '0', 'false', 'no', 'off')


def require_program(path, name, package, environ=None):
    """Return if the program at `path` can be run.

    Otherwise skip the caller's tests (unittest.SkipTest) with the reason,
    or, on CI, raise ProgramMissing: CI must run them.
    """
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return
    reason = (f'{name} not found at {path}: '
              f'install it with apt-get install {package}')
    if on_ci(os.environ if environ is None else environ):
        raise ProgramMissing(reason + ' (CI is set: these tests must run '
                             'there)')
    raise unittest.SkipTest(reason)


def add_user(app, email, username, password=PASSWORD, confirmed=True):
    """A user in `app`'s database; its id."""
    with app.app_context():
        user = User(email=email, username=username, password=password,
                    confirmed=confirmed)
        db.session.add(user)
        db.session.commit()
        return user.id


class MailSink:
    """An SMTP server on 127.0.0.1 that keeps every message it receives."""

    def __init__(self):
        self.messages = []
        self._cond = threading.Condition()
        self.port = free_port()
        self.controller = Controller(self, hostname='127.0.0.1',
                                     port=self.port)

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content,
                                       policy=email.policy.default)
        with self._cond:
            self.messages.append(msg)
            self._cond.notify_all()
        return '250 Message accepted for delivery'

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()

    def clear(self):
        with self._cond:
            self.messages.clear()

    def wait_for(self, count=1, timeout=10):
        """The messages received so far, once there are at least `count`."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.messages) >= count,
                                       timeout):
                raise AssertionError(
                    f'expected {count} email(s), got {len(self.messages)}')
            return list(self.messages)


def text_part(msg):
    return msg.get_body(preferencelist=('plain',)).get_content()


def html_part(msg):
    return msg.get_body(preferencelist=('html',)).get_content()


def link_in(msg):
    """The first absolute link in the text part of an email."""
    match = re.search(r'https?://\S+', text_part(msg))
    if match is None:
        raise AssertionError('no link in email:\n' + text_part(msg))
    return match.group(0)


def flashes(page):
    """The texts of the flashed alerts on a page."""
    return [html.unescape(m).strip() for m in re.findall(
        r'<div class="alert[^"]*"[^>]*>\s*<button[^>]*>.*?</button>'
        r'(.*?)</div>', page, re.S)]


def field_errors(page):
    """The texts of the form-field errors shown by wtf.quick_form."""
    return [html.unescape(m).strip() for m in re.findall(
        r'<p class="help-block">(.*?)</p>', page, re.S)]


def translated(app, text, accept_language='zh-TW', **variables):
    """`text` as the site's catalogue has it for a browser asking for
    `accept_language`."""
    with app.test_request_context(
            headers={'Accept-Language': accept_language}):
        return gettext(text, **variables)


@contextlib.contextmanager
def clock_shifted(seconds):
    """Make every time.time() call read `seconds` later (or earlier)."""
    real = time.time
    with mock.patch('time.time', lambda: real() + seconds):
        yield


class MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept for the whole test run: each test's new app
    would otherwise compile every template it renders again. Jinja checks
    each template's source against its checksum before using it."""

    def __init__(self):
        self.store = {}

    def load_bytecode(self, bucket):
        code = self.store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = MemoryBytecodeCache()


class CommandTestCase(unittest.TestCase):
    """For tests that run commands (subprocess.run results)."""

    def assertExit(self, result, code):
        self.assertEqual(
            result.returncode, code,
            f'{result.args!r} exited {result.returncode}\n'
            f'--- stdout ---\n{result.stdout}\n'
            f'--- stderr ---\n{result.stderr}')


class ModelTestCase(unittest.TestCase):
    """An app context and a fresh database (no test client)."""

    def setUp(self):
        self.app = create_app('testing')
        self.app_context = self.app.app_context()
        self.app_context.push()
        db.create_all()

    def tearDown(self):
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
        self.app_context.pop()


class MailSinkTestCase(unittest.TestCase):
    """A real SMTP sink for the class, emptied before each test."""

    @classmethod
    def setUpClass(cls):
        cls.mail = MailSink()
        cls.mail.start()

    @classmethod
    def tearDownClass(cls):
        cls.mail.stop()

    def setUp(self):
        self.mail.clear()


class FlaskyTestCase(MailSinkTestCase):
    """An app on a fresh database, a test client and a real SMTP sink.

    CSRF protection is on, as for a visitor; set `csrf = False` on a
    subclass to post forms without a token, and put further settings in
    a subclass's `config` dict.
    """
    csrf = True
    config = {}

    def setUp(self):
        super().setUp()
        config_class = type('SMTPTestingConfig', (TestingConfig,), dict(
            WTF_CSRF_ENABLED=self.csrf,
            MAIL_SERVER='127.0.0.1', MAIL_PORT=self.mail.port,
            MAIL_USE_TLS=False, **self.config))
        self.app = create_app(config_class)
        self.app.jinja_env.bytecode_cache = TEMPLATES
        with self.app.app_context():
            db.create_all()
        self.client = self.app.test_client()

    def tearDown(self):
        with self.app.app_context():
            db.session.remove()
            # PostgreSQL's DROP TABLE waits for every transaction open on
            # the table: close any session a test left open as well.
            so.close_all_sessions()
            db.drop_all()
            db.engine.dispose()

    # -- the database --------------------------------------------------

    def add_user(self, email='john@example.com', username='john',
                 password=PASSWORD, confirmed=True):
        return add_user(self.app, email, username, password, confirmed)

    def get_user(self, email=None, id=None):
        """A detached copy of a user, looked up by email or id, or None."""
        with self.app.app_context():
            if id is not None:
                user = db.session.get(User, id)
            else:
                user = db.session.scalar(
                    sa.select(User).where(User.email == email))
            if user is not None:
                db.session.expunge(user)
            return user

    def user_count(self):
        with self.app.app_context():
            return db.session.scalar(sa.select(sa.func.count(User.id)))

    def token_for(self, user_id, method, *args, **kwargs):
        """Call a token-making method of a user, e.g. 'generate_reset_token'.
        """
        with self.app.app_context():
            user = db.session.get(User, user_id)
            return getattr(user, method)(*args, **kwargs)

    # -- the browser's side --------------------------------------------

    def page(self, response):
        return response.get_data(as_text=True)

    def submit(self, url, data, follow_redirects=True, **kwargs):
        """GET the form at `url`, then POST `data` with its CSRF token."""
        form_page = self.client.get(url, **kwargs)
        self.assertEqual(form_page.status_code, 200, url)
        data = dict(data)
        if self.csrf:
            data['csrf_token'] = csrf_token(self.page(form_page))
        return self.client.post(url, data=data,
                                follow_redirects=follow_redirects, **kwargs)

    def login(self, email='john@example.com', password=PASSWORD,
              remember_me=False, url='/auth/login'):
        data = dict(email=email, password=password)
        if remember_me:
            data['remember_me'] = 'y'
        return self.submit(url, data)

    def logout(self):
        return self.submit('/auth/logout', {})

    def resend_confirmation(self, follow_redirects=True):
        return self.submit('/auth/confirm', {},
                           follow_redirects=follow_redirects)

    def register(self, email='john@example.com', username='john',
                 password=PASSWORD, password2=None):
        return self.submit('/auth/register', dict(
            email=email, username=username, password=password,
            password2=password if password2 is None else password2))

    def assertFlashed(self, response, message):
        self.assertIn(message, flashes(self.page(response)))


class ServerTestCase(unittest.TestCase):
    """For tests of the app in a process of its own, as deployed: gunicorn
    with the production configuration (bench.server.Gunicorn), visited
    with bench.server.Browser.

    The class has a scratch database (tests/scratchdb.py) with the
    models' schema (tests/test_cli.py checks that the migrations make the
    same one), `db_app` to reach it from the test, and a real SMTP sink
    that the servers send to. A server started by the class runs until
    the class is done; a test fails if one logged an error.
    """
    ERRORS_LOGGED = ('Traceback', 'Exception on', 'Could not send')

    @classmethod
    def setUpClass(cls):
        stack = contextlib.ExitStack()
        cls.addClassCleanup(stack.close)
        cls.database_url, _ = stack.enter_context(
            scratchdb.scratch_database('server'))
        cls.mail = MailSink()
        cls.mail.start()
        stack.callback(cls.mail.stop)
        config = type('ServerDatabaseConfig', (TestingConfig,),
                      dict(SQLALCHEMY_DATABASE_URI=cls.database_url))
        cls.db_app = create_app(config)
        with cls.db_app.app_context():
            db.create_all()
            # Close the connections before the database is dropped.
            stack.callback(db.engine.dispose)
        cls.servers = []

    @classmethod
    def start_server(cls, workers=2, threads=1, **settings):
        """Start gunicorn on the class's database, mailing the sink, with
        `settings` added to its environment. Its password hash is the
        testing configuration's cheap one: no test here is about its
        cost."""
        cheap_hash = TestingConfig.FLASKY_PASSWORD_HASH_METHOD
        server = Gunicorn(
            cls.database_url, workers=workers, threads=threads,
            MAIL_SERVER='127.0.0.1', MAIL_PORT=str(cls.mail.port),
            MAIL_USE_TLS='false', FLASKY_PASSWORD_HASH_METHOD=cheap_hash,
            **settings)
        cls.addClassCleanup(server.close)
        cls.servers.append(server)
        return server.start()

    @classmethod
    def add_user(cls, email, username, password=PASSWORD):
        """A confirmed user in the class's database; its id."""
        return add_user(cls.db_app, email, username, password)

    def setUp(self):
        self.mail.clear()

    def tearDown(self):
        for server in self.servers:
            log = server.log()
            for sign in self.ERRORS_LOGGED:
                if sign in log:
                    at = log.index(sign)
                    self.fail('the server logged an error:\n'
                              + log[max(0, at - 200):at + 1500])
