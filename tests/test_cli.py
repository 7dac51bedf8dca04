"""The command line as a developer uses it: `python manage.py ...`.

Every command runs as a real subprocess from the project root, in a
controlled environment whose databases are SQLite files in a temporary
directory, so nothing is written into the repository.
"""
import ast
import glob
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import sqlalchemy as sa

from bench.server import clean_environ
from tests.messages import HELLO_STRANGER
from tests.support import CommandTestCase, free_port, stop_process

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 60           # seconds, for any one command
SERVER_START = 15      # seconds, for the development server to answer
CONFIG_NAMES = ('default', 'development', 'production', 'testing')
# Columns of `users` added after the book's.
# The tables of the latest revision: the book's, ours, and those of the
# two-step sign-in and passkeys.
TABLES = {'users', 'roles', 'logins', 'two_step', 'recovery_codes',
          'passkeys', 'passkey_users', 'alembic_version'}
USERS_COLUMNS_SINCE = {'link_stamp', 'email_restored_at', 'member_since',
                       'locale'}


def head_revisions():
    """The head revision ids of migrations/versions, read as source."""
    revisions, parents = set(), set()
    for path in glob.glob(os.path.join(ROOT, 'migrations', 'versions',
                                       '*.py')):
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read(), path)
        values = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], ast.Name):
                values[node.targets[0].id] = node.value
        revisions.add(ast.literal_eval(values['revision']))
        down = ast.literal_eval(values['down_revision'])
        if isinstance(down, str):
            parents.add(down)
        elif down:
            parents.update(down)
    return revisions - parents


def schema(db_path):
    """{table name: [column names]} and the alembic_version rows."""
    engine = sa.create_engine('sqlite:///' + db_path)
    try:
        inspector = sa.inspect(engine)
        tables = {name: [c['name'] for c in inspector.get_columns(name)]
                  for name in inspector.get_table_names()}
        versions = []
        if 'alembic_version' in tables:
            with engine.connect() as conn:
                versions = [row[0] for row in conn.execute(
                    sa.text('SELECT version_num FROM alembic_version'))]
        return tables, versions
    finally:
        engine.dispose()


class CLITestCase(CommandTestCase):

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name
        self.db_path = os.path.join(self.tmp, 'dev.sqlite')
        self.env = clean_environ(
            DEV_DATABASE_URL='sqlite:///' + self.db_path,
            PYTHONDONTWRITEBYTECODE='1', FLASK_SKIP_DOTENV='1')

    def run_python(self, *args, input=None, **env):
        """Run `python ARGS` in the project root; env=None unsets a name."""
        full_env = dict(self.env)
        for key, value in env.items():
            if value is None:
                full_env.pop(key, None)
            else:
                full_env[key] = value
        return subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=full_env, input=input,
            capture_output=True, text=True, timeout=TIMEOUT)

    def manage(self, *args, input=None, **env):
        return self.run_python('manage.py', *args, input=input, **env)

    # -- db (Flask-Migrate) and deploy ---------------------------------

    def test_db_upgrade_check_downgrade(self):
        self.assertExit(self.manage('db', 'upgrade'), 0)
        tables, versions = schema(self.db_path)
        self.assertEqual(set(tables), TABLES)
        self.assertEqual(set(tables['users']), {
            'id', 'email', 'username', 'role_id', 'password_hash',
            'confirmed'} | USERS_COLUMNS_SINCE)
        self.assertEqual(set(tables['logins']), {
            'id', 'token', 'user_id', 'remember', 'created', 'last_seen',
            'ip_address', 'user_agent'})
        self.assertEqual(set(tables['roles']), {'id', 'name'})
        self.assertEqual(versions, sorted(head_revisions()))

        # The models and the migrations agree.
        check = self.manage('db', 'check')
        self.assertExit(check, 0)
        self.assertIn('No new upgrade operations detected.', check.stdout)

        self.assertExit(self.manage('db', 'downgrade', 'base'), 0)
        tables, versions = schema(self.db_path)
        self.assertEqual(list(tables), ['alembic_version'])
        self.assertEqual(versions, [])

        # And the check fails when the database lags behind.
        check = self.manage('db', 'check')
        self.assertExit(check, 1)
        self.assertIn('Target database is not up to date.', check.stderr)

    def test_upgrade_keeps_users_through_every_migration(self):
        # Users made at the first migration; their session tokens, made at
        # the second, go with the third, which keeps a row per login.
        self.assertExit(self.manage('db', 'upgrade', 'c85e39143b1c'), 0)
        engine = sa.create_engine('sqlite:///' + self.db_path)
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(
                    "INSERT INTO users (email, username) VALUES "
                    "('a@example.com', 'a'), ('b@example.com', 'b')"))
            self.assertExit(self.manage('db', 'upgrade'), 0)
            with engine.connect() as conn:
                users = conn.execute(sa.text(
                    'SELECT username FROM users ORDER BY id')).scalars().all()
                logins = conn.execute(sa.text(
                    'SELECT count(*) FROM logins')).scalar()
                indexes = conn.execute(sa.text(
                    "SELECT name FROM sqlite_master WHERE type = 'index' "
                    "AND tbl_name = 'users'")).scalars().all()
                with self.assertRaises(sa.exc.IntegrityError):
                    conn.execute(sa.text(
                        "INSERT INTO users (username, link_stamp) "
                        "VALUES ('A', 'a-stamp')"))
        finally:
            engine.dispose()
        self.assertEqual(users, ['a', 'b'])
        self.assertEqual(logins, 0)
        self.assertNotIn('session_token', schema(self.db_path)[0]['users'])
        # The expression index a batch migration on SQLite loses.
        self.assertIn('ix_users_username_lower', indexes)

    def test_deploy_twice_on_a_fresh_database(self):
        heads = head_revisions()
        self.assertEqual(len(heads), 1, f'migration heads: {heads}')
        for _ in range(2):
            self.assertExit(self.manage('deploy'), 0)
            tables, versions = schema(self.db_path)
            self.assertEqual(set(tables), TABLES)
            self.assertEqual(versions, list(heads))

    # -- shell ---------------------------------------------------------

    def test_shell_has_db_user_and_role(self):
        result = self.manage('shell', input='print(db, User, Role)\n')
        self.assertExit(result, 0)
        expected = (f'<SQLAlchemy sqlite:///{self.db_path}> '
                    "<class 'app.models.User'> <class 'app.models.Role'>")
        lines = [line.removeprefix('>>> ')
                 for line in result.stdout.splitlines()]
        self.assertIn(expected, lines, result.stdout + result.stderr)

    # -- runserver -----------------------------------------------------

    def test_runserver_help_lists_host_and_port(self):
        result = self.manage('runserver', '--help')
        self.assertExit(result, 0)
        self.assertRegex(result.stdout, r'(?m)^Usage: manage\.py runserver')
        self.assertRegex(result.stdout, r'(?m)^\s+-h, --host\b')
        self.assertRegex(result.stdout, r'(?m)^\s+-p, --port\b')

    def test_runserver_serves_the_home_page(self):
        port = free_port()
        url = f'http://127.0.0.1:{port}/'
        env = dict(self.env, FLASK_DEBUG='0')
        log_path = os.path.join(self.tmp, 'server.log')
        # Bypass any HTTP proxy set in the environment.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with open(log_path, 'w') as log:
            proc = subprocess.Popen(
                [sys.executable, 'manage.py', 'runserver',
                 '--host', '127.0.0.1', '--port', str(port), '--no-reload'],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + SERVER_START
            status = body = None
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    with opener.open(url, timeout=2) as response:
                        status = response.status
                        body = response.read().decode('utf-8')
                    break
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.05)
        finally:
            stop_process(proc)
        with open(log_path) as log:
            output = log.read()
        self.assertIsNotNone(status, f'no answer from {url}\n{output}')
        self.assertEqual(status, 200)
        self.assertIn(HELLO_STRANGER, body)

    # -- test ----------------------------------------------------------

    def test_test_command_reports_and_exits_zero(self):
        result = self.manage('test', 'tests.test_basics')
        self.assertExit(result, 0)
        self.assertEqual(result.stdout.splitlines()[-1],
                         '2 passed, 0 failed')

    def test_test_command_fails_on_a_missing_test(self):
        # Said as such, not run and counted as a failed test.
        result = self.manage('test', 'tests.test_basics', 'no.such.test')
        self.assertExit(result, 1)
        self.assertEqual(result.stdout, '')
        self.assertEqual(result.stderr, 'Error: no tests found for '
                         "no.such.test: ModuleNotFoundError: No module "
                         "named 'no'\n")

        result = self.manage('test', 'tests.test_basics.NoSuchTestCase')
        self.assertExit(result, 1)
        self.assertIn("has no attribute 'NoSuchTestCase'", result.stderr)

    def write_mixed_results(self):
        """A test module with 3 failing subtests in one test, an error,
        a pass and a skip: 1 passed, 2 failed, 1 skipped."""
        with open(os.path.join(self.tmp, 'mixed_results.py'), 'w') as f:
            f.write(
                'import unittest\n'
                'class T(unittest.TestCase):\n'
                '    def test_subtests(self):\n'
                '        for i in range(3):\n'
                '            with self.subTest(i=i):\n'
                '                self.assertEqual(i, 99)\n'
                '    def test_ok(self):\n'
                '        pass\n'
                '    def test_error(self):\n'
                '        raise KeyError("boom")\n'
                '    @unittest.skip("not today")\n'
                '    def test_skipped(self):\n'
                '        pass\n')

    def test_test_command_counts_tests_not_subtests(self):
        self.write_mixed_results()
        result = self.manage('test', 'mixed_results', PYTHONPATH=self.tmp)
        self.assertExit(result, 1)
        self.assertEqual(result.stdout.splitlines()[-1],
                         '1 passed, 2 failed, 1 skipped')

    # -- configuration -------------------------------------------------

    def test_unknown_config_names_the_choices(self):
        # The help is shown all the same; a command that needs the app
        # is refused.
        for args, status in ((['--help'], 0), (['shell'], 2)):
            with self.subTest(args=args):
                result = self.manage(*args, FLASK_CONFIG='nonsense')
                self.assertExit(result, status)
                self.assertEqual('Usage:' in result.stdout, status == 0)
                messages = [line for line in result.stderr.splitlines()
                            if 'nonsense' in line
                            and all(name in line for name in CONFIG_NAMES)]
                self.assertTrue(messages, result.stdout + result.stderr)

    def test_production_requires_secret_key(self):
        prod_db = os.path.join(self.tmp, 'prod.sqlite')
        prod = dict(FLASK_CONFIG='production', SERVER_NAME='flasky.test',
                    DATABASE_URL='sqlite:///' + prod_db)
        # The help lists every command, under the complaint.
        result = self.manage('--help', **prod)
        self.assertExit(result, 0)
        self.assertIn('Usage: manage.py', result.stdout)
        for command in ('db', 'deploy', 'runserver', 'shell', 'test'):
            self.assertRegex(result.stdout, rf'(?m)^  {command}\s')
        self.assertIn('SECRET_KEY is not set', result.stderr)
        # The commands that run the app refuse to.
        for args in (['runserver'], ['shell'], ['db', 'upgrade'],
                     ['deploy']):
            with self.subTest(args=args):
                result = self.manage(*args, input='', **prod)
                self.assertExit(result, 2)
                self.assertTrue(result.stderr.endswith(
                    'Error: SECRET_KEY is not set: the production '
                    'configuration refuses to start without it. Set the '
                    'SECRET_KEY environment variable to a long random '
                    'string.\n'), result.stderr)

        # With a key, the WSGI app builds, and without the debugger.
        result = self.run_python(
            '-c', 'import manage; print(manage.app.debug)',
            SECRET_KEY='a long random string', **prod)
        self.assertExit(result, 0)
        self.assertEqual(result.stdout, 'False\n')
        self.assertFalse(os.path.exists(prod_db))

    def test_wsgi_module_loads_no_command_line(self):
        # A web server imports flasky.py for its app, and should not load
        # what only the `db` commands (Alembic) or a new password
        # (zxcvbn's dictionaries) need: each costs a worker ~10 MB.
        result = self.run_python('-c', '''if True:
            import sys
            import flasky
            print(type(flasky.app).__name__)
            print(*sorted({'alembic', 'zxcvbn'} & set(sys.modules)))''',
            SECRET_KEY='a long random string', SERVER_NAME='flasky.test',
            DATABASE_URL='sqlite:///' + os.path.join(self.tmp, 'p.sqlite'))
        self.assertExit(result, 0)
        self.assertEqual(result.stdout, 'Flask\n\n')

    def test_db_commands_work_through_flask_too(self):
        result = subprocess.run(
            [sys.executable, '-m', 'flask', '--app', 'manage', 'db',
             'heads'], cwd=ROOT, env=self.env, capture_output=True,
            text=True, timeout=TIMEOUT)
        self.assertExit(result, 0)
        self.assertEqual(result.stdout.split(), [
            *head_revisions(), '(head)'])


if __name__ == '__main__':
    unittest.main()
