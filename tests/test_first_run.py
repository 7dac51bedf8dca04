"""The first run, when things are not set up yet: a database with no
tables (app/first_run.py), a DATABASE_URL where the development
configuration reads DEV_DATABASE_URL, a postgres:// URL (config.py), and
no MAIL_SERVER (app/email.py: where the email is, and in which language).
"""
import os
import unittest
from types import SimpleNamespace
from unittest import mock

import jinja2
import sqlalchemy as sa
from babel import Locale
from flask import render_template_string
from flask_babel import LazyString, get_locale

from app import create_app, db
from app.email import send_email
from app.first_run import missing_table
from bench.server import Browser
from config import DevelopmentConfig, TestingConfig, database_url
from tests.messages import (CONFIRM_SENT, CONSOLE_EMAIL_NOTE,
                            DATABASE_BEHIND, HELLO_STRANGER, NO_TABLES,
                            SERVER_ERROR, SUBJECT_PREFIX, UNCONFIRMED)
from tests.scratchsite import ScratchSite
from tests.support import (NAVBAR_BRAND, CommandTestCase, FlaskyTestCase,
                           MailSinkTestCase, flashes, html_part, text_part)
from tests.test_cli import head_revisions

UPGRADE = 'python manage.py db upgrade'
# Babel's full name for zh_TW, as get_locale() gives it.
ZH_TW = str(Locale.parse('zh_TW'))


class NoTablesTestCase(FlaskyTestCase):
    """Development (DEBUG) on a database without the tables."""
    config = {'DEBUG': True}

    def setUp(self):
        super().setUp()
        self.drop()

    def drop(self, *tables):
        """Drop `tables` (names), or all of them."""
        with self.app.app_context():
            if tables:
                for name in tables:
                    db.metadata.tables[name].drop(db.engine)
            else:
                db.drop_all()

    def assertNoTablesPage(self, response, heading=NO_TABLES):
        self.assertEqual(response.status_code, 503)
        page = self.page(response)
        self.assertIn(f'<h1>{heading}</h1>', page)
        self.assertIn(UPGRADE, page)
        self.assertIn('flask db upgrade', page)
        self.assertIn(NAVBAR_BRAND, page)
        self.assertNotIn('Traceback', page)
        # Shown as to a visitor: the user could not be looked up.
        self.assertIn('href="/auth/login"', page)
        self.assertNotIn('/auth/logout', page)

    def test_a_fresh_visitor(self):
        # The home page needs no table; the login form's answer does.
        self.assertIn(HELLO_STRANGER, self.page(self.client.get('/')))
        self.assertNoTablesPage(self.login())
        self.assertNoTablesPage(self.register())

    def test_a_visitor_with_a_session_from_before(self):
        with self.app.app_context():
            db.create_all()
        self.add_user()
        self.login()
        # Every request looks the user up, a static file's too.
        self.drop()
        for url in ('/', '/secret', '/auth/login', '/static/favicon.ico'):
            with self.subTest(url=url):
                self.assertNoTablesPage(self.client.get(url))

    def test_a_database_behind_the_code(self):
        with self.app.app_context():
            db.create_all()
        self.add_user()
        self.drop('logins')
        self.assertNoTablesPage(self.login(), DATABASE_BEHIND)

    def test_a_missing_column(self):
        with self.app.app_context():
            db.create_all()
            with db.engine.begin() as connection:
                connection.execute(sa.text(
                    'ALTER TABLE users DROP COLUMN email_restored_at'))
        self.assertNoTablesPage(self.login(), DATABASE_BEHIND)

    def test_other_database_errors_are_not_taken_for_it(self):
        def locked():
            raise sa.exc.OperationalError(
                'SELECT 1', {}, Exception('database is locked'))
        self.app.add_url_rule('/locked', view_func=locked)
        # Development shows the traceback, as before.
        with self.assertRaises(sa.exc.OperationalError):
            self.client.get('/locked')


class NoTablesOutsideDevelopmentTestCase(FlaskyTestCase):
    # As in production: no DEBUG, the 500 page rather than the exception.
    config = {'PROPAGATE_EXCEPTIONS': False}

    def test_the_500_page(self):
        with self.app.app_context():
            db.drop_all()
        with self.assertLogs(self.app.logger, 'ERROR'):
            response = self.login()
        self.assertEqual(response.status_code, 500)
        self.assertIn(f'<h1>{SERVER_ERROR}</h1>', self.page(response))
        self.assertNotIn(NO_TABLES, self.page(response))


class MissingTableTestCase(unittest.TestCase):

    def error(self, orig):
        return sa.exc.ProgrammingError('SELECT 1', {}, orig)

    def test_sqlite_messages(self):
        for message, missing in (('no such table: users', True),
                                 ('no such column: users.locale', True),
                                 ('database is locked', False)):
            with self.subTest(message=message):
                self.assertIs(missing_table(self.error(Exception(message))),
                              missing)

    def test_postgresql_codes(self):
        for code, missing in (('42P01', True), ('42703', True),
                              ('23505', False)):
            with self.subTest(code=code):
                orig = Exception('relation "users" does not exist')
                orig.sqlstate = code
                self.assertIs(missing_table(self.error(orig)), missing)


class RunserverWarningTestCase(CommandTestCase):
    """`python manage.py runserver` in a scratch copy of the project, on
    its own data-dev.sqlite."""

    # The check runserver makes, run by itself.
    CHECK = ('import manage; from app import first_run; '
             'first_run.warn_if_database_behind(manage.app, "migrations")')

    def setUp(self):
        self.site = ScratchSite()
        self.addCleanup(self.site.close)

    def manage(self, *args, input=None):
        return self.site.run('-m', 'manage', *args, input=input)

    def test_runserver_on_a_fresh_clone(self):
        process, port = self.site.start(
            '-m', 'manage', 'runserver', '--port', '{port}', '--no-reload')
        browser = Browser(port)
        home = browser.get('/')
        login = browser.submit('/auth/login', dict(
            email='john@example.com', password='cat'))
        self.site.stop(process)
        log = self.site.log(process)
        self.assertIn(f'The database has no tables yet: run `{UPGRADE}`',
                      log)
        self.assertEqual(home.status, 200, log)
        self.assertEqual(login.status, 503, log)
        self.assertIn(f'<h1>{NO_TABLES}</h1>', login.text)

    def test_only_the_server_warns(self):
        result = self.manage('shell', input='print(1 + 1)\n')
        self.assertExit(result, 0)
        self.assertNotIn('db upgrade', result.stdout + result.stderr)

    def test_the_check(self):
        result = self.site.run('-c', self.CHECK)
        self.assertExit(result, 0)
        self.assertIn(f'The database has no tables yet: run `{UPGRADE}` '
                      '(or `flask db upgrade`)', result.stderr)

        self.assertExit(self.manage('db', 'upgrade', 'c85e39143b1c'), 0)
        result = self.site.run('-c', self.CHECK)
        heads = ', '.join(sorted(head_revisions()))
        self.assertIn('The database is at revision c85e39143b1c, the '
                      f'migrations at {heads}: run `{UPGRADE}`',
                      result.stderr)

        self.assertExit(self.manage('db', 'upgrade'), 0)
        result = self.site.run('-c', self.CHECK)
        self.assertExit(result, 0)
        self.assertNotIn('WARNING', result.stderr)


class DatabaseUrlTestCase(CommandTestCase):

    def test_postgresql_urls_get_psycopg_3(self):
        for url in ('postgres://u:p@db.example.com:5432/flasky',
                    'postgresql://u:p@db.example.com:5432/flasky',
                    'postgresql+psycopg://u:p@db.example.com:5432/flasky'):
            with self.subTest(url=url):
                self.assertEqual(
                    database_url(url),
                    'postgresql+psycopg://u:p@db.example.com:5432/flasky')

    def test_other_urls_are_kept(self):
        for url in (None, '', 'sqlite://', 'sqlite:////tmp/postgres://x',
                    'postgresql+psycopg2://u@h/d'):
            with self.subTest(url=url):
                self.assertEqual(database_url(url), url)

    def test_each_configuration_takes_them(self):
        site = ScratchSite()
        self.addCleanup(site.close)
        result = site.run('-c', (
            'import config\n'
            'for name in ("development", "testing", "production"):\n'
            '    print(config.config[name].SQLALCHEMY_DATABASE_URI)\n'
            'from app import create_app, db\n'
            'app = create_app("development")\n'
            'with app.app_context():\n'
            '    print(db.engine.dialect.driver)\n'),
            DEV_DATABASE_URL='postgres://dev@127.0.0.1/dev',
            TEST_DATABASE_URL='postgresql://test@127.0.0.1/test',
            DATABASE_URL='postgres://prod@db.example.com/prod')
        self.assertExit(result, 0)
        self.assertEqual(result.stdout.splitlines(), [
            'postgresql+psycopg://dev@127.0.0.1/dev',
            'postgresql+psycopg://test@127.0.0.1/test',
            'postgresql+psycopg://prod@db.example.com/prod',
            'psycopg'])


class DevelopmentDatabaseUrlTestCase(unittest.TestCase):
    """DATABASE_URL set where the development configuration is used."""

    config = type('QuietDevelopmentConfig', (DevelopmentConfig,), dict(
        SECRET_KEY='not used', SQLALCHEMY_DATABASE_URI='sqlite://'))

    def test_warns_naming_dev_database_url(self):
        with mock.patch.dict(os.environ, DATABASE_URL='sqlite:///x.sqlite'):
            with self.assertLogs('app', 'WARNING') as logs:
                create_app(self.config)
        message = logs.records[0].getMessage()
        self.assertIn('DATABASE_URL is set', message)
        self.assertIn('DEV_DATABASE_URL', message)

    def test_quiet_without_it(self):
        with mock.patch.dict(os.environ):
            os.environ.pop('DATABASE_URL', None)
            with self.assertNoLogs('app', 'WARNING'):
                create_app(self.config)

    def test_production_reads_it_quietly(self):
        config = type('Production', (TestingConfig,), {})
        with mock.patch.dict(os.environ, DATABASE_URL='sqlite:///x.sqlite'):
            with self.assertNoLogs('app', 'WARNING'):
                create_app(config)


class ConsoleEmailTestCase(FlaskyTestCase):
    """No MAIL_SERVER in development: the email is printed in the console,
    and the page says so."""
    config = {'DEBUG': True}

    def setUp(self):
        super().setUp()
        self.app.config['MAIL_SERVER'] = None

    def test_one_framed_block_with_the_link_on_its_own_line(self):
        with self.assertLogs(self.app.logger, 'INFO') as logs:
            self.register()
        self.assertEqual(self.mail.messages, [])
        lines = logs.records[0].getMessage().splitlines()
        rules = [i for i, line in enumerate(lines)
                 if line and set(line) == {'='} and len(line) >= 40]
        self.assertEqual(len(rules), 2, lines)
        first, last = rules
        self.assertEqual(last, len(lines) - 1)
        self.assertEqual(lines[first + 1], 'To: john@example.com')
        self.assertEqual(lines[first + 2],
                         f'Subject: {SUBJECT_PREFIX}Confirm Your Account')
        links = [line for line in lines[first:last]
                 if line.startswith('http://localhost/auth/confirm/')]
        self.assertEqual(len(links), 1, lines)
        self.assertNotIn(' ', links[0])

    def test_the_page_says_where_the_email_is(self):
        with self.assertLogs(self.app.logger, 'INFO'):
            response = self.register()
        self.assertEqual(flashes(self.page(response)),
                         [CONSOLE_EMAIL_NOTE, CONFIRM_SENT])

    def test_the_unconfirmed_page_says_it_too(self):
        self.add_user(confirmed=False)
        page = self.page(self.login())
        self.assertIn(UNCONFIRMED, page)
        self.assertIn(CONSOLE_EMAIL_NOTE, page)


class EmailNotesOnlyInDevelopmentTestCase(FlaskyTestCase):

    def test_not_outside_development(self):
        self.app.config['MAIL_SERVER'] = None
        with self.assertLogs(self.app.logger, 'INFO'):
            response = self.register()
        self.assertEqual(flashes(self.page(response)), [CONFIRM_SENT])
        self.assertNotIn(CONSOLE_EMAIL_NOTE, self.page(self.login()))

    def test_not_with_a_mail_server(self):
        self.app.config['DEBUG'] = True
        self.add_user(confirmed=False)
        page = self.page(self.login())
        self.assertIn(UNCONFIRMED, page)
        self.assertNotIn(CONSOLE_EMAIL_NOTE, page)


class EmailLocaleTestCase(MailSinkTestCase):
    """Each email is written in its recipient's language: the one the
    user chose, else the page's, else English."""

    def setUp(self):
        super().setUp()
        self.app = create_app(type('LocaleEmailConfig', (TestingConfig,),
                                   dict(MAIL_SERVER='127.0.0.1',
                                        MAIL_PORT=self.mail.port,
                                        MAIL_USE_TLS=False)))
        # A template that shows the language it is rendered in.
        self.app.jinja_env.loader = jinja2.ChoiceLoader([
            jinja2.DictLoader({'locale.txt': '{{ locale() }}',
                               'locale.html': '<p>{{ locale() }}</p>'}),
            self.app.jinja_env.loader])
        self.app.jinja_env.globals['locale'] = lambda: str(get_locale())

    def send(self, user, **request):
        """Send the email from a request with `request`'s headers; the
        message as received, and the page's language afterwards."""
        # Like the views' lazy_gettext subjects: made into text late.
        subject = LazyString(lambda: str(get_locale()))
        with self.app.test_request_context(**request):
            send_email('john@example.com', subject, 'locale', user=user)
            after = str(get_locale())
        msg = self.mail.wait_for(1)[0]
        self.mail.clear()
        return msg, after

    def test_the_users_choice(self):
        user = SimpleNamespace(username='john', locale='zh_TW')
        msg, after = self.send(user, headers={'Accept-Language': 'en'})
        self.assertEqual(msg['Subject'], SUBJECT_PREFIX + ZH_TW)
        self.assertEqual(text_part(msg).strip(), ZH_TW)
        self.assertIn(f'<p>{ZH_TW}</p>', html_part(msg))
        # The page goes on in its own language.
        self.assertEqual(after, 'en')

    def test_else_the_pages(self):
        for user in (SimpleNamespace(username='john', locale=None),
                     SimpleNamespace(username='john'), None):
            with self.subTest(user=user):
                msg, _ = self.send(user,
                                   headers={'Accept-Language': 'zh-TW'})
                self.assertEqual(msg['Subject'], SUBJECT_PREFIX + ZH_TW)
                self.assertEqual(text_part(msg).strip(), ZH_TW)

    def test_else_english(self):
        subject = LazyString(lambda: str(get_locale()))
        with self.app.app_context():
            send_email('john@example.com', subject, 'locale',
                       user=SimpleNamespace(username='john', locale=None))
        msg = self.mail.wait_for(1)[0]
        self.assertEqual(msg['Subject'], SUBJECT_PREFIX + 'en')
        self.assertEqual(text_part(msg).strip(), 'en')

    def test_the_templates_render_in_another_language(self):
        user = SimpleNamespace(username='john', locale='zh_TW')
        with self.app.test_request_context():
            send_email('john@example.com', 'Subject', 'auth/email/confirm',
                       user=user, token='a-token')
            self.assertEqual(render_template_string('{{ locale() }}'), 'en')
        self.assertIn('http://localhost/auth/confirm/a-token',
                      text_part(self.mail.wait_for(1)[0]).splitlines())


if __name__ == '__main__':
    unittest.main()
