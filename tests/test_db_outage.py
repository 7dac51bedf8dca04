"""Failing database: a request during an outage gets the 500 page in the
site layout, its session is rolled back, the error is logged; when the
database is back the next request works, with no restart.

The database is a scratch one (tests/scratchdb.py). On PostgreSQL the
outage is real: new connections are refused (ALLOW_CONNECTIONS false)
and every open one, the app's pooled connections among them, is ended
(pg_terminate_backend). On SQLite another connection holds a lock on the
database file, as a long write by another process would.
"""
import contextlib
import sqlite3

import sqlalchemy as sa

from tests import scratchdb
from tests.messages import CONFIRM_SENT, SERVER_ERROR, hello
from tests.support import NAVBAR_BRAND, PASSWORD, FlaskyTestCase, flashes


class DatabaseOutageTestCase(FlaskyTestCase):

    def setUp(self):
        stack = contextlib.ExitStack()
        self.addCleanup(stack.close)
        self.url, self.db_name = stack.enter_context(
            scratchdb.scratch_database('outage'))
        self.config = {
            'SQLALCHEMY_DATABASE_URI': self.url,
            'RATELIMIT_ENABLED': False,
            # As in production: the error page, not the exception.
            'PROPAGATE_EXCEPTIONS': False,
        }
        if scratchdb.backend() == 'sqlite':
            # Give up on a locked database after 0.2 s, not SQLite's 5 s.
            self.config['SQLALCHEMY_ENGINE_OPTIONS'] = {
                'pool_pre_ping': True, 'connect_args': {'timeout': 0.2}}
        super().setUp()

    @contextlib.contextmanager
    def outage(self, writes_only=False):
        """The database cannot be used (or, on SQLite with `writes_only`,
        read but not written) inside the block."""
        if scratchdb.backend() == 'postgresql':
            scratchdb.allow_connections(self.db_name, False)
            try:
                scratchdb.terminate_connections(self.db_name)
                yield
            finally:
                scratchdb.allow_connections(self.db_name, True)
            return
        conn = sqlite3.connect(self.db_name, isolation_level=None)
        try:
            conn.execute('BEGIN IMMEDIATE' if writes_only
                         else 'BEGIN EXCLUSIVE')
            yield
        finally:
            conn.rollback()
            conn.close()

    def assertServerErrorPage(self, response):
        self.assertEqual(response.status_code, 500)
        page = self.page(response)
        self.assertIn(f'<title>Flasky - {SERVER_ERROR}</title>', page)
        self.assertIn(f'<h1>{SERVER_ERROR}</h1>', page)
        # In the site layout: the navbar and the site's own style sheet.
        self.assertIn(NAVBAR_BRAND, page)
        self.assertIn('/static/vendor/bootstrap/css/bootstrap.min.css',
                      page)

    def assertLoggedDatabaseError(self, logs):
        errors = [r for r in logs.records if r.levelname == 'ERROR']
        self.assertTrue(errors, 'no error logged')
        self.assertIsInstance(errors[0].exc_info[1], sa.exc.OperationalError)

    def test_page_during_outage_then_recovery(self):
        self.add_user()
        self.login()
        self.assertIn(hello('john'), self.page(self.client.get('/')))
        with self.outage():
            with self.assertLogs(self.app.logger, 'WARNING') as logs:
                response = self.client.get('/')
        self.assertServerErrorPage(response)
        # The user could not be looked up: the page shows a visitor's
        # navbar rather than fail.
        self.assertIn('Log In', self.page(response))
        self.assertLoggedDatabaseError(logs)
        # Back: the same browser, still logged in, and no restart.
        response = self.client.get('/')
        self.assertEqual(response.status_code, 200)
        self.assertIn(hello('john'), self.page(response))

    def test_form_posted_during_outage_leaves_nothing_behind(self):
        with self.outage(writes_only=True):
            with self.assertLogs(self.app.logger, 'ERROR') as logs:
                response = self.register()
        self.assertServerErrorPage(response)
        self.assertLoggedDatabaseError(logs)
        self.assertEqual(self.user_count(), 0)
        # Back: the same registration goes through.
        response = self.register()
        self.assertEqual(response.status_code, 200)
        self.assertEqual(flashes(self.page(response)), [CONFIRM_SENT])
        self.assertEqual(self.user_count(), 1)

    def test_login_during_outage_then_login_works(self):
        self.add_user()
        with self.outage():
            with self.assertLogs(self.app.logger, 'ERROR'):
                response = self.login()
        self.assertServerErrorPage(response)
        response = self.login(password=PASSWORD)
        self.assertEqual(response.request.path, '/')
        self.assertIn(hello('john'), self.page(response))

    def test_server_restarted_between_requests(self):
        if scratchdb.backend() != 'postgresql':
            self.skipTest('SQLite has no server that could restart')
        self.add_user()
        self.login()
        self.assertIn(hello('john'), self.page(self.client.get('/')))
        # Every pooled connection dies while no request is running.
        with self.outage():
            pass
        response = self.client.get('/')
        self.assertEqual(response.status_code, 200)
        self.assertIn(hello('john'), self.page(response))
