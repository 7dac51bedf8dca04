#!/usr/bin/env python
"""Flasky's command line: `python manage.py --help`.

The commands are also those of `flask` with FLASK_APP=flasky.py, as in
the book's 2nd edition: flasky.py takes its app from here.
"""
import os
import sys

COV = None
if os.environ.get('FLASK_COVERAGE'):
    import coverage
    COV = coverage.coverage(branch=True, include='app/*')
    COV.start()

import click  # noqa: E402
from flask.cli import (FlaskGroup, NoAppException, run_command,  # noqa: E402
                       with_appcontext)
from flask_migrate import Migrate, upgrade  # noqa: E402
from flask_migrate.cli import db as db_command  # noqa: E402
from werkzeug.serving import is_running_from_reloader  # noqa: E402

from app import create_app, db, first_run  # noqa: E402
from app.models import Role, User  # noqa: E402
from config import ConfigError  # noqa: E402


def make_shell_context():
    return dict(db=db, User=User, Role=Role)


@click.command()
@click.option('--coverage/--no-coverage', default=False,
              help='Run tests under code coverage.')
@click.argument('test_names', nargs=-1)
def test(coverage, test_names):
    """Run the unit tests (all of tests/, or the dotted NAMES given)."""
    if coverage and not os.environ.get('FLASK_COVERAGE'):
        os.environ['FLASK_COVERAGE'] = '1'
        os.execvp(sys.executable, [sys.executable] + sys.argv)
    import unittest
    loader = unittest.TestLoader()
    if test_names:
        tests = unittest.TestSuite()
        for name in test_names:
            tests.addTest(loader.loadTestsFromName(name))
            if loader.errors:
                # A name that is no module, class or test: say so, rather
                # than run the others and count it as a failed test. The
                # loader's report ends with the reason.
                reason = loader.errors[-1].strip().splitlines()[-1]
                sys.exit(f'Error: no tests found for {name}: {reason}')
    else:
        tests = loader.discover('tests')
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
    # A test with failing subtests counts once.
    failed = {getattr(test, 'test_case', test).id()
              for test, _ in result.failures + result.errors}
    skipped = len(result.skipped)
    passed = result.testsRun - len(failed) - skipped
    print(f'{passed} passed, {len(failed)} failed'
          + (f', {skipped} skipped' if skipped else ''))
    sys.exit(0 if result.wasSuccessful() else 1)


@click.command()
@with_appcontext
def deploy():
    """Run deployment tasks: upgrade the database to the latest revision."""
    upgrade()


def make_app():
    """The app of the commands, with Flask-Migrate and the commands above.

    FLASK_CONFIG unset means development, as in the book.
    """
    try:
        app = create_app(os.getenv('FLASK_CONFIG') or 'default')
    except ConfigError as exc:
        # Flask's command line shows this without a traceback, and
        # `--help` still lists the commands.
        raise NoAppException(str(exc)) from None
    # Batch mode lets new migrations alter tables on SQLite too.
    migrate = Migrate(app, db, render_as_batch=True)
    app.shell_context_processor(make_shell_context)
    # For `flask test` and `flask deploy` (flasky.py).
    app.cli.add_command(test)
    app.cli.add_command(deploy)
    # As `python manage.py runserver` did with Flask-Script, run with the
    # debugger and reloader when the configuration says DEBUG.
    os.environ.setdefault('FLASK_DEBUG', '1' if app.config['DEBUG'] else '0')
    # The development server (`runserver`, `flask run`) starting, but not
    # its reloader's process: say if the database needs `db upgrade`.
    command = click.get_current_context(silent=True)
    if command is not None and command.command is run_command \
            and not is_running_from_reloader():
        first_run.warn_if_database_behind(app, migrate.directory)
    return app


# The app is made when a command needs it, so that `--help` works even
# where the configuration refuses to start.
cli = FlaskGroup(create_app=make_app, help='Flasky management commands.')
cli.add_command(run_command, 'runserver')
cli.add_command(db_command)
cli.add_command(test)
cli.add_command(deploy)


if __name__ == '__main__':
    cli()
else:
    # Imported: for `gunicorn manage:app`, `flask --app manage` and
    # flasky.py under the flask command.
    app = make_app()
