#!/usr/bin/env python
"""Flasky's command line: `python manage.py --help`.

Also the WSGI entry point: `gunicorn manage:app`.
"""
import os
import sys

COV = None
if os.environ.get('FLASK_COVERAGE'):
    import coverage
    COV = coverage.coverage(branch=True, include='app/*')
    COV.start()

import click  # noqa: E402
from flask.cli import FlaskGroup, run_command  # noqa: E402

from app import create_app, db  # noqa: E402
from app.models import Role, User  # noqa: E402
from config import ConfigError  # noqa: E402

try:
    app = create_app(os.getenv('FLASK_CONFIG') or 'default')
except ConfigError as exc:
    sys.exit(f'Error: {exc}')
# As `python manage.py runserver` did with Flask-Script, run with the
# debugger and reloader when the configuration says DEBUG (development).
os.environ.setdefault('FLASK_DEBUG', '1' if app.config['DEBUG'] else '0')


MIGRATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          'migrations')


def migrate():
    """Set up Flask-Migrate on the app, and return the module.

    Only the commands that use it load it: it brings in Alembic, about
    10 MB that a web server's workers would carry for nothing.
    """
    import flask_migrate
    if 'migrate' not in app.extensions:
        # This also puts its `db` group in place of the one below.
        flask_migrate.Migrate(app, db, directory=MIGRATIONS,
                              render_as_batch=True)
    return flask_migrate


class LazyCommand(click.Command):
    """Stands in the command list for a command loaded when it is run."""

    def __init__(self, name, load, help):
        super().__init__(name, help=help)
        self.load = load

    def make_context(self, info_name, args, parent=None, **extra):
        # The context made here is the loaded command's: click invokes
        # `context.command`.
        return self.load().make_context(info_name, args, parent=parent,
                                        **extra)


app.cli.add_command(LazyCommand(
    'db', lambda: migrate().cli.db, help='Perform database migrations.'))


@app.shell_context_processor
def make_shell_context():
    return dict(db=db, User=User, Role=Role)


@app.cli.command(with_appcontext=False)
@click.option('--coverage/--no-coverage', default=False,
              help='Run tests under code coverage.')
@click.argument('test_names', nargs=-1)
def test(coverage, test_names):
    """Run the unit tests (all of tests/, or the dotted NAMES given)."""
    if coverage and not os.environ.get('FLASK_COVERAGE'):
        import subprocess
        os.environ['FLASK_COVERAGE'] = '1'
        sys.exit(subprocess.call([sys.executable] + sys.argv))

    import unittest
    loader = unittest.TestLoader()
    if test_names:
        tests = loader.loadTestsFromNames(test_names)
    else:
        tests = loader.discover('tests', top_level_dir=os.path.dirname(
            os.path.abspath(__file__)))
    result = unittest.TextTestRunner(verbosity=2).run(tests)
    if COV:
        COV.stop()
        COV.save()
        print('Coverage Summary:')
        COV.report()
        covdir = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              'tmp', 'coverage')
        COV.html_report(directory=covdir)
        print(f'HTML version: file://{covdir}/index.html')
        COV.erase()
    # A test with several failing subtests is one failed test.
    failed = len({getattr(test, 'test_case', test).id() for test, _ in
                  result.failures + result.errors} |
                 {test.id() for test in result.unexpectedSuccesses})
    passed = result.testsRun - failed - len(result.skipped)
    line = f'{passed} passed, {failed} failed'
    if result.skipped:
        line += f', {len(result.skipped)} skipped'
    print(line)
    sys.exit(0 if failed == 0 and result.testsRun > 0 else 1)


@app.cli.command()
def deploy():
    """Run deployment tasks: upgrade the database to the latest revision."""
    migrate().upgrade()


cli = FlaskGroup(create_app=lambda: app,
                 help='Flasky management commands.')
cli.add_command(run_command, 'runserver')


if __name__ == '__main__':
    cli()
