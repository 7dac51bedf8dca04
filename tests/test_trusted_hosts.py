"""Links in emails point at this site: Flask's TRUSTED_HOSTS in every
configuration (config.py, app/hosts.py).

A request whose Host header names another site gets a 400, before any
page is made or email sent, on the development server (`manage.py
runserver`, in a scratch copy of the project) and on gunicorn with the
production configuration. Werkzeug ignores the port when it checks a
Host, so `localhost:1` is as trusted as `localhost`.
"""
import json
import time

from bench.server import Browser
from tests.messages import RESET_SUBJECT
from tests.scratchsite import ScratchSite
from tests.support import (PASSWORD, CommandTestCase, FlaskyTestCase,
                           MailSink, ServerTestCase, add_user, csrf_token,
                           link_in)
from config import TestingConfig

JOHN = 'john@example.com'


def hostile_hosts(port):
    return ['evil.example', f'evil.example:{port}', f'localhost.evil.example:'
            f'{port}', '127.0.0.1.evil.example', 'evil.example:80',
            'LOCALHOST.evil.example', f'evil.example@127.0.0.1:{port}',
            '127.0.0.2', 'localhost.']


class HostTestMixin:
    """Tests for a server on `self.port` that mails `self.mail`."""

    def visitor(self, host=None):
        return Browser(self.port, host=host)

    def assertNoMoreMail(self, count):
        # Emails go in the background: give a stray one time to arrive.
        time.sleep(0.5)
        self.assertEqual(len(self.mail.messages), count)

    def test_other_hosts_get_400_and_no_email(self):
        visitor = self.visitor()
        token = visitor.form('/auth/reset')
        for host in hostile_hosts(self.port):
            with self.subTest(host=host):
                other = self.visitor(host)
                other.cookies = dict(visitor.cookies)
                self.assertEqual(other.get('/auth/reset').status, 400)
                response = other.post('/auth/reset', dict(
                    email=JOHN, csrf_token=token))
                self.assertEqual(response.status, 400)
        self.assertNoMoreMail(0)
        # The control: the same request to this site is mailed.
        response = visitor.post('/auth/reset', dict(email=JOHN,
                                                    csrf_token=token))
        self.assertEqual(response.status, 302)
        [msg] = self.mail.wait_for(1)
        self.assertTrue(msg['Subject'].endswith(RESET_SUBJECT))
        self.assertTrue(link_in(msg).startswith(self.site_url + '/auth/'),
                        link_in(msg))
        self.assertNoMoreMail(1)


class DevelopmentServerTestCase(HostTestMixin, CommandTestCase):
    """`python manage.py runserver` on 127.0.0.1, as `make run` and the
    browser tests start it, with no SERVER_NAME: emailed links are made
    from the Host the request came with."""

    @classmethod
    def setUpClass(cls):
        cls.mail = MailSink()
        cls.mail.start()
        cls.addClassCleanup(cls.mail.stop)
        cls.site = ScratchSite()
        cls.addClassCleanup(cls.site.close)
        settings = dict(
            FLASK_CONFIG='development', FLASK_DEBUG='0',
            MAIL_SERVER='127.0.0.1', MAIL_PORT=str(cls.mail.port),
            MAIL_USE_TLS='false', FLASKY_PASSWORD_HASH_METHOD=TestingConfig
            .FLASKY_PASSWORD_HASH_METHOD)
        for args, input in [
                (('deploy',), None),
                (('shell',), f'db.session.add(User(email={JOHN!r}, '
                 f'username="john", password={PASSWORD!r}, '
                 'confirmed=True))\ndb.session.commit()\n')]:
            result = cls.site.run('-m', 'manage', *args, input=input,
                                  **settings)
            if result.returncode != 0:
                raise RuntimeError(result.stdout + result.stderr)
        cls.server, cls.port = cls.site.start(
            '-m', 'manage', 'runserver', '--host', '127.0.0.1', '--port',
            '{port}', '--no-reload', **settings)
        if cls.server.poll() is not None:
            raise RuntimeError(cls.site.log(cls.server))
        cls.site_url = f'http://127.0.0.1:{cls.port}'

    def setUp(self):
        self.mail.clear()

    def test_local_names_are_served_and_named_in_links(self):
        for host in (f'localhost:{self.port}', f'127.0.0.1:{self.port}'):
            with self.subTest(host=host):
                self.mail.clear()
                visitor = self.visitor(host)
                response = visitor.submit('/auth/reset', dict(email=JOHN))
                self.assertEqual(response.status, 302)
                [msg] = self.mail.wait_for(1)
                self.assertTrue(link_in(msg).startswith(
                    f'http://{host}/auth/reset/'), link_in(msg))


class ProductionServerTestCase(HostTestMixin, ServerTestCase):
    """gunicorn with the production configuration: only SERVER_NAME."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.add_user(JOHN, 'john')
        add_user(cls.db_app, 'susan@example.com', 'susan', confirmed=False)
        cls.server = cls.start_server()
        cls.port = cls.server.port
        cls.site_url = f'https://127.0.0.1:{cls.port}'

    def test_logged_in_visitor_with_another_host_gets_400(self):
        # Pages that redirect or fail before any view runs: an unconfirmed
        # user's redirect, a body no form takes.
        visitor = self.visitor()
        self.assertEqual(visitor.login('susan@example.com',
                                       PASSWORD).status, 302)
        other = self.visitor('evil.example')
        other.cookies = dict(visitor.cookies)
        self.assertEqual(other.get('/').status, 400)
        response = other.request(
            'POST', '/auth/reset', body=json.dumps({'email': JOHN}),
            headers={'Content-Type': 'application/json'})
        self.assertEqual(response.status, 400)
        self.assertEqual(visitor.get('/').status, 302)


class TestClientHostsTestCase(FlaskyTestCase):
    """The testing configuration trusts the test client's `localhost` and
    127.0.0.1, where the tests' servers run."""

    def test_local_names_are_served(self):
        for base_url in ('http://localhost', 'http://127.0.0.1:5000'):
            with self.subTest(base_url=base_url):
                response = self.client.get('/auth/reset', base_url=base_url)
                self.assertEqual(response.status_code, 200)

    def test_other_host_is_400_and_sends_nothing(self):
        self.add_user()
        response = self.submit('/auth/reset', dict(email=JOHN),
                               follow_redirects=False)
        self.assertEqual(response.status_code, 302)
        self.mail.wait_for(1)
        self.mail.clear()
        token = csrf_token(self.page(self.client.get('/auth/reset')))
        response = self.client.post(
            '/auth/reset', data=dict(email=JOHN, csrf_token=token),
            headers={'Host': 'evil.example'})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.mail.messages, [])


class TrustedHostsConfigTestCase(CommandTestCase):
    """What each configuration trusts, read as a server would, in a
    process of its own."""

    def trusted(self, name, **settings):
        site = ScratchSite()
        self.addCleanup(site.close)
        result = site.run(
            '-c', 'from app import create_app; '
            f'print(create_app({name!r}).config["TRUSTED_HOSTS"])',
            **settings)
        self.assertExit(result, 0)
        return result.stdout.strip()

    def test_each_configuration(self):
        production = dict(SECRET_KEY='k' * 64,
                          SERVER_NAME='flasky.example.com')
        for name, settings, trusted in [
                ('development', {}, "['localhost', '127.0.0.1']"),
                ('development', dict(TRUSTED_HOSTS='192.168.1.5, .lan'),
                 "['192.168.1.5', '.lan']"),
                ('testing', dict(TRUSTED_HOSTS='evil.example'),
                 "['localhost', '127.0.0.1']"),
                ('production', production, "['flasky.example.com']"),
                ('production', dict(production,
                                    TRUSTED_HOSTS='www.flasky.example.com'),
                 "['flasky.example.com', 'www.flasky.example.com']")]:
            with self.subTest(config=name, **settings):
                self.assertEqual(self.trusted(name, **settings), trusted)
