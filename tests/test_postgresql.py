"""PostgreSQL only: the migrations, and the tests' own clean-up.

These run when TEST_DATABASE_URL is a postgresql URL. Otherwise they are
skipped, and say why: CI runs the whole suite a second time with
TEST_DATABASE_URL set to PostgreSQL, where they run.

The migration tests never touch the database TEST_DATABASE_URL names:
each makes a scratch database on the same server (through the server's
`postgres` maintenance database) and drops it afterwards.
"""
import os
import secrets
import subprocess
import sys
import time
import unittest

import sqlalchemy as sa
import sqlalchemy.orm as so

from app import create_app, db
from app.models import User
from bench.server import clean_environ
from tests import test_cli as cli
from tests.support import CommandTestCase, FlaskyTestCase

TEST_DATABASE_URL = os.environ.get('TEST_DATABASE_URL') or 'sqlite://'
ON_POSTGRESQL = sa.engine.make_url(
    TEST_DATABASE_URL).get_backend_name() == 'postgresql'
NOT_POSTGRESQL = (
    'PostgreSQL only, and TEST_DATABASE_URL is not a postgresql URL; CI '
    'runs the suite again with TEST_DATABASE_URL=postgresql+psycopg://..., '
    'where these run')


@unittest.skipUnless(ON_POSTGRESQL, NOT_POSTGRESQL)
class MigrationsTestCase(CommandTestCase):
    """`python manage.py db ...` on a scratch PostgreSQL database."""

    def setUp(self):
        url = sa.engine.make_url(TEST_DATABASE_URL)
        name = 'flasky_migrations_' + secrets.token_hex(6)
        server = sa.create_engine(url.set(database='postgres'),
                                  isolation_level='AUTOCOMMIT')
        self.addCleanup(server.dispose)
        with server.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE {name}'))
        self.addCleanup(self.drop_database, server, name)
        self.url = url.set(database=name).render_as_string(
            hide_password=False)
        self.engine = sa.create_engine(self.url)
        self.addCleanup(self.engine.dispose)
        self.env = clean_environ(
            DEV_DATABASE_URL=self.url, PYTHONDONTWRITEBYTECODE='1',
            FLASK_SKIP_DOTENV='1')

    def drop_database(self, server, name):
        self.engine.dispose()
        with server.connect() as conn:
            # FORCE ends any connection a failed command left behind.
            conn.execute(sa.text(f'DROP DATABASE {name} WITH (FORCE)'))
            left = conn.scalar(sa.text(
                'SELECT count(*) FROM pg_database WHERE datname = :name'),
                {'name': name})
        self.assertEqual(left, 0)

    def manage(self, *args):
        return subprocess.run(
            [sys.executable, 'manage.py', *args], cwd=cli.ROOT,
            env=self.env, capture_output=True, text=True,
            timeout=cli.TIMEOUT)

    def versions(self):
        with self.engine.connect() as conn:
            return conn.scalars(sa.text(
                'SELECT version_num FROM alembic_version')).all()

    def test_upgrade_check_downgrade(self):
        self.assertExit(self.manage('db', 'upgrade'), 0)
        inspector = sa.inspect(self.engine)
        self.assertEqual(set(inspector.get_table_names()), cli.TABLES)
        columns = {c['name']: c for c in inspector.get_columns('users')}
        self.assertEqual(set(columns), {
            'id', 'email', 'username', 'role_id', 'password_hash',
            'confirmed'} | cli.USERS_COLUMNS_SINCE)
        for name, length in (('email', 64), ('username', 64),
                             ('password_hash', 256)):
            with self.subTest(column=name):
                self.assertIsInstance(columns[name]['type'], sa.String)
                self.assertEqual(columns[name]['type'].length, length)
        self.assertIsInstance(columns['confirmed']['type'], sa.Boolean)
        self.assertEqual(columns['confirmed']['default'], 'false')
        self.assertFalse(columns['confirmed']['nullable'])
        indexes = {i['name']: i for i in inspector.get_indexes('users')}
        lower = indexes['ix_users_username_lower']
        self.assertTrue(lower['unique'])
        self.assertEqual(lower['expressions'], ['lower(username::text)'])
        self.assertEqual(self.versions(), sorted(cli.head_revisions()))

        # The models and the migrations agree, the expression index too.
        check = self.manage('db', 'check')
        self.assertExit(check, 0)
        self.assertIn('No new upgrade operations detected.', check.stdout)

        self.assertExit(self.manage('db', 'downgrade', 'base'), 0)
        self.assertEqual(sa.inspect(self.engine).get_table_names(),
                         ['alembic_version'])
        self.assertEqual(self.versions(), [])

    def test_check_finds_a_missing_expression_index(self):
        # `db check` compares the index on lower(username) on PostgreSQL:
        # drift there is reported, not hidden.
        self.assertExit(self.manage('db', 'upgrade'), 0)
        with self.engine.begin() as conn:
            conn.execute(sa.text('DROP INDEX ix_users_username_lower'))
        check = self.manage('db', 'check')
        self.assertExit(check, 1)
        self.assertIn('New upgrade operations detected', check.stderr)
        self.assertIn('ix_users_username_lower', check.stderr)

    def test_migrated_database_enforces_the_model_rules(self):
        self.assertExit(self.manage('db', 'upgrade'), 0)
        with self.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO users (username, link_stamp) "
                "VALUES ('john', 's1')"))
            confirmed = conn.scalar(sa.text(
                "SELECT confirmed FROM users WHERE username = 'john'"))
        self.assertIs(confirmed, False)
        rejected = [
            # "John" and "john" are one username.
            "INSERT INTO users (username, link_stamp) VALUES ('JOHN', 's2')",
            "INSERT INTO users (username, confirmed, link_stamp) "
            "VALUES ('susan', NULL, 's3')",
            "INSERT INTO users (email, link_stamp) "
            f"VALUES ('{'a' * 65}', 's4')",
            # Every emailed link carries the stamp.
            "INSERT INTO users (username) VALUES ('susan')",
        ]
        for statement in rejected:
            with self.subTest(statement=statement):
                with self.assertRaises(sa.exc.DBAPIError):
                    with self.engine.begin() as conn:
                        conn.execute(sa.text(statement))

    def test_upgrade_keeps_users_through_every_migration(self):
        self.assertExit(self.manage('db', 'upgrade', 'c85e39143b1c'), 0)
        with self.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO users (email, username) VALUES "
                "('a@example.com', 'a'), ('b@example.com', 'b')"))
        self.assertExit(self.manage('db', 'upgrade'), 0)
        with self.engine.connect() as conn:
            users = conn.scalars(sa.text(
                'SELECT username FROM users ORDER BY id')).all()
            logins = conn.scalar(sa.text('SELECT count(*) FROM logins'))
        self.assertEqual(users, ['a', 'b'])
        self.assertEqual(logins, 0)


@unittest.skipUnless(ON_POSTGRESQL, NOT_POSTGRESQL)
class CleanUpTestCase(FlaskyTestCase):
    """DROP TABLE waits for every transaction open on the table: the
    tests' tear-down must not wait forever for one a test left open."""

    def test_lock_waits_are_bounded(self):
        # The book's tests build their apps from the plain 'testing'
        # configuration.
        for app in (self.app, create_app('testing')):
            with app.app_context():
                self.assertEqual(db.session.scalar(
                    sa.text('SHOW lock_timeout')), '10s')
                db.session.remove()
                db.engine.dispose()

    def test_tear_down_closes_a_session_left_open(self):
        self.add_user()
        with self.app.app_context():
            leaked = so.Session(db.engine)
            leaked.scalar(sa.select(sa.func.count(User.id)))
        self.assertTrue(leaked.in_transaction())
        start = time.monotonic()
        self.tearDown()
        self.assertLess(time.monotonic() - start, 5)
        self.assertFalse(leaked.in_transaction())
        with self.app.app_context():
            self.assertNotIn('users',
                             sa.inspect(db.engine).get_table_names())
            db.engine.dispose()


if __name__ == '__main__':
    unittest.main()
