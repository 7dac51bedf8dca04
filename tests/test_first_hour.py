"""A reader's first hour, from a fresh clone: the Python version check,
the README's instructions, `make clean` and `make cleandb`, the 2nd
edition's `flask` commands beside the book's `manage.py`, and one
favicon link.

Commands run in a scratch copy of the project (tests/scratchsite.py), or
in a temporary folder holding a copy of the Makefile, so that nothing is
written into the working tree.
"""
import ast
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import sqlalchemy as sa

from bench.server import Browser
from tests.messages import HELLO_STRANGER
from tests.scratchsite import TIMEOUT, ScratchSite
from tests.support import CommandTestCase, FlaskyTestCase
from tests.test_cli import head_revisions

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OLD = '3.9.18'

spec = importlib.util.spec_from_file_location(
    'check_python', os.path.join(ROOT, 'tools', 'check_python.py'))
check_python = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_python)


def read(path):
    with open(os.path.join(ROOT, path), encoding='utf-8') as f:
        return f.read()


class PythonVersionTestCase(CommandTestCase):
    """tools/check_python.py, which `make` runs before it makes .venv."""

    def check(self, *args, python=sys.executable):
        return subprocess.run(
            [python, os.path.join(ROOT, 'tools', 'check_python.py'), *args],
            capture_output=True, text=True, timeout=TIMEOUT)

    def test_an_old_version_gets_one_line_and_status_1(self):
        result = self.check(OLD)
        self.assertExit(result, 1)
        self.assertEqual(result.stdout, '')
        self.assertEqual(
            result.stderr, 'Flasky needs Python 3.11 or newer; this is '
            f'{OLD} at {sys.executable}\n')

    def test_the_minimum_and_newer_pass_silently(self):
        for version in ('3.11.0', '3.12.1', '4.0'):
            with self.subTest(version=version):
                result = self.check(version)
                self.assertExit(result, 0)
                self.assertEqual(result.stdout + result.stderr, '')

    def test_one_below_the_minimum_fails(self):
        self.assertIn('this is 3.10.13 at',
                      check_python.problem((3, 10, 13), 'python3'))
        self.assertIsNone(check_python.problem((3, 11, 0), 'python3'))

    def test_this_python_passes(self):
        self.assertExit(self.check(), 0)

    def test_written_for_old_pythons(self):
        # No f-string (a SyntaxError before 3.6, and `=` in one before
        # 3.8) and no walrus: an old Python must get as far as the message.
        tree = ast.parse(read('tools/check_python.py'))
        old_syntax = [type(node).__name__ for node in ast.walk(tree)
                      if isinstance(node, (ast.JoinedStr, ast.NamedExpr))]
        self.assertEqual(old_syntax, [])

    def test_an_old_python_if_installed_gets_the_message(self):
        found = [name for name in ('python2.7', 'python3.6', 'python3.9')
                 if shutil.which(name) and subprocess.run(
                     [name, '-c', ''], capture_output=True).returncode == 0]
        if not found:
            self.skipTest('no python2.7, python3.6 or python3.9 to run')
        for python in found:
            with self.subTest(python=python):
                result = self.check(python=python)
                self.assertExit(result, 1)
                self.assertRegex(result.stderr, r'^Flasky needs Python 3\.11 '
                                 r'or newer; this is 3\.\d+\.\d+ at \S+\n$')

    def test_the_readme_states_the_same_minimum(self):
        minimum = '.'.join(map(str, check_python.MINIMUM))
        top = read('README.md').splitlines()[:5]
        self.assertTrue(any(f'Python {minimum}' in line.replace('**', '')
                            for line in top), top)


class MakefileTestCase(CommandTestCase):
    """`make` in a temporary folder with the project's Makefile, its
    check script and its requirements files."""

    def setUp(self):
        if shutil.which('make') is None:
            self.skipTest('make is not installed')
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        os.mkdir(os.path.join(self.dir, 'tools'))
        for name in ('Makefile', 'requirements.txt',
                     'requirements-dev.txt',
                     os.path.join('tools', 'check_python.py')):
            shutil.copy(os.path.join(ROOT, name),
                        os.path.join(self.dir, name))

    def make(self, *args):
        env = dict(os.environ)
        env.pop('MAKEFLAGS', None)
        return subprocess.run(['make', '--no-print-directory', *args],
                              cwd=self.dir, env=env, capture_output=True,
                              text=True, timeout=TIMEOUT)

    def path(self, name):
        return os.path.join(self.dir, name)

    def touch(self, *names):
        for name in names:
            with open(self.path(name), 'w'):
                pass

    def test_run_and_test_stop_on_an_old_python_before_the_venv(self):
        # A "python" that is this one, checked as if it were 3.9.
        fake = self.path('old-python')
        with open(fake, 'w') as f:
            f.write(f'#!/bin/sh\nexec "{sys.executable}" "$@" {OLD}\n')
        os.chmod(fake, 0o755)
        for target in ('run', 'test'):
            with self.subTest(target=target):
                result = self.make(target, f'PYTHON={fake}')
                self.assertNotEqual(result.returncode, 0)
                self.assertEqual(result.stdout, '')
                self.assertEqual(
                    result.stderr.splitlines()[0],
                    f'Flasky needs Python 3.11 or newer; this is {OLD} at '
                    f'{sys.executable}')
                self.assertFalse(os.path.exists(self.path('.venv')))

    def test_clean_says_what_it_removes(self):
        for name in ('.venv', 'tmp', '.pytest_cache'):
            os.mkdir(self.path(name))
        self.touch('.coverage', 'data-dev.sqlite')
        result = self.make('clean')
        self.assertExit(result, 0)
        self.assertEqual(sorted(result.stdout.splitlines()), [
            'Removing .coverage', 'Removing .pytest_cache',
            'Removing .venv', 'Removing tmp'])
        for name in ('.venv', 'tmp', '.pytest_cache', '.coverage'):
            self.assertFalse(os.path.exists(self.path(name)), name)
        # The database is cleandb's.
        self.assertTrue(os.path.exists(self.path('data-dev.sqlite')))

    def test_cleandb_removes_the_development_database_and_says_so(self):
        os.mkdir(self.path('.venv'))
        self.touch('data-dev.sqlite', 'data.sqlite')
        result = self.make('cleandb')
        self.assertExit(result, 0)
        self.assertIn('Removing the development database, data-dev.sqlite',
                      result.stdout)
        self.assertFalse(os.path.exists(self.path('data-dev.sqlite')))
        # Nothing else: not production's database, not the venv.
        self.assertTrue(os.path.exists(self.path('data.sqlite')))
        self.assertTrue(os.path.exists(self.path('.venv')))

        result = self.make('cleandb')
        self.assertExit(result, 0)
        self.assertIn('There is no development database', result.stdout)


class ReadmeTestCase(unittest.TestCase):
    """What the README promises a reader of the book."""

    def setUp(self):
        self.readme = read('README.md')

    def book_block(self):
        """The commands of "The book's way"."""
        section = self.readme.split("## The book's way", 1)[1]
        return section.split('```')[1]

    def test_short(self):
        # About one screen: the details are in docs/.
        self.assertLessEqual(len(self.readme.splitlines()), 80)

    def test_says_which_edition(self):
        self.assertIn("1st edition (`manage.py`, `session_protection =\n"
                      "'strong'`)", self.readme)
        self.assertIn('2nd edition', self.readme)
        self.assertIn('(docs/changes-from-the-book.md)', self.readme)

    def test_dev_requirements_come_before_the_tests(self):
        lines = [line.split('#')[0].strip()
                 for line in self.book_block().splitlines()]
        self.assertLess(lines.index('pip install -r requirements-dev.txt'),
                        lines.index('python manage.py test'))
        self.assertLess(lines.index('python manage.py db upgrade'),
                        lines.index('python manage.py runserver'))

    def test_windows_activation(self):
        self.assertIn(r'venv\Scripts\activate', self.book_block())

    def test_stop_and_start_again_empty(self):
        self.assertIn('Ctrl+C', self.readme)
        self.assertIn('make cleandb', self.readme)
        self.assertIn('data-dev.sqlite', self.readme)

    def test_the_book_password_explained(self):
        self.assertIn("`cat`", self.readme)
        self.assertIn("User(password='cat')", self.readme)
        self.assertIn('8 characters', self.readme)
        self.assertIn('zxcvbn', self.readme)

    def test_second_edition_commands(self):
        text = ' '.join(self.readme.split())
        for command in ('export FLASK_APP=flasky.py', 'flask run',
                        'flask shell', 'flask db upgrade', 'flask test'):
            with self.subTest(command=command):
                self.assertIn(f'`{command}`', text)

    def test_linked_pages_exist(self):
        for target in re.findall(r'\]\(([^)#]+)\)', self.readme):
            with self.subTest(target=target):
                self.assertTrue(os.path.exists(os.path.join(ROOT, target)))

    def test_venv_is_ignored(self):
        ignored = read('.gitignore').split()
        self.assertIn('venv/', ignored)
        self.assertIn('.venv/', ignored)


class SecondEditionTestCase(CommandTestCase):
    """The 2nd edition's commands, `flask ...` with FLASK_APP=flasky.py,
    in a scratch copy of the project with no FLASK_CONFIG: development,
    on its own data-dev.sqlite."""

    def setUp(self):
        self.site = ScratchSite()
        self.addCleanup(self.site.close)
        self.db_path = os.path.join(self.site.path, 'data-dev.sqlite')

    # The module's name rather than the book's flasky.py: Flask would
    # follow the scratch copy's link to the file back to the working tree.
    FLASK_APP = 'flasky'

    def flask(self, *args, input=None, **settings):
        return self.site.run('-m', 'flask', *args, input=input,
                             FLASK_APP=self.FLASK_APP, **settings)

    def tables(self):
        engine = sa.create_engine('sqlite:///' + self.db_path)
        try:
            return set(sa.inspect(engine).get_table_names())
        finally:
            engine.dispose()

    def test_help_lists_the_commands(self):
        result = self.flask('--help')
        self.assertExit(result, 0)
        for command in ('db', 'deploy', 'run', 'shell', 'test'):
            with self.subTest(command=command):
                self.assertRegex(result.stdout, rf'(?m)^  {command}\s')

    def test_db_upgrade_then_shell(self):
        self.assertExit(self.flask('db', 'upgrade'), 0)
        self.assertIn('users', self.tables())
        result = self.flask('db', 'heads')
        self.assertExit(result, 0)
        self.assertEqual(result.stdout.split(),
                         [*head_revisions(), '(head)'])

        result = self.flask('shell', input=(
            "print(app.config['DEBUG'], db.engine.url.database, "
            'User.__name__, Role.__name__)\n'))
        self.assertExit(result, 0)
        self.assertIn(f'True {self.db_path} User Role', result.stdout)

    def test_test_runs_the_named_tests(self):
        with open(os.path.join(self.site.path, 'sample_tests.py'),
                  'w') as f:
            f.write('import unittest\n'
                    'class T(unittest.TestCase):\n'
                    '    def test_ok(self):\n'
                    '        pass\n')
        result = self.flask('test', 'sample_tests')
        self.assertExit(result, 0)
        self.assertEqual(result.stdout.splitlines()[-1],
                         '1 passed, 0 failed')

        result = self.flask('test', 'no.such.module')
        self.assertExit(result, 1)
        self.assertIn("No module named 'no'", result.stderr)

    def test_run_warns_then_serves(self):
        process, port = self.site.start(
            '-m', 'flask', 'run', '--port', '{port}', '--no-reload',
            FLASK_APP=self.FLASK_APP)
        page = Browser(port).get('/')
        self.site.stop(process)
        log = self.site.log(process)
        self.assertEqual(page.status, 200, log)
        self.assertIn(HELLO_STRANGER, page.text)
        self.assertIn('The database has no tables yet: run `python '
                      'manage.py db upgrade`', log)
        self.assertIn('Debug mode: on', log)

    def test_a_wsgi_server_still_gets_production(self):
        # `gunicorn flasky:app` imports flasky.py outside the flask
        # command: no FLASK_CONFIG means production, which refuses to
        # start without SECRET_KEY.
        result = self.site.run('-c', 'import flasky')
        self.assertExit(result, 1)
        self.assertIn('SECRET_KEY is not set', result.stderr)
        self.assertFalse(os.path.exists(self.db_path))


class FaviconTestCase(FlaskyTestCase):

    def test_one_icon_link(self):
        page = self.page(self.client.get('/'))
        links = re.findall(r'<link\b[^>]*\brel="[^"]*icon[^"]*"[^>]*>', page)
        self.assertEqual(len(links), 1, links)
        self.assertIn('href="/static/favicon.ico"', links[0])

    def test_favicon_at_the_root_for_browsers_that_ask_there(self):
        response = self.client.get('/favicon.ico')
        self.assertEqual(response.status_code, 200)
        with open(os.path.join(self.app.static_folder, 'favicon.ico'),
                  'rb') as f:
            self.assertEqual(response.get_data(), f.read())
        response.close()

    def test_unconfirmed_users_get_it_too(self):
        self.add_user(confirmed=False)
        self.login()
        response = self.client.get('/favicon.ico')
        self.assertEqual(response.status_code, 200)
        response.close()


if __name__ == '__main__':
    unittest.main()
