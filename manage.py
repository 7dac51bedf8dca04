#!/usr/bin/env python
"""Flasky's command line: `python manage.py --help`."""
import os
import sys

COV = None
if os.environ.get('FLASK_COVERAGE'):
    import coverage
    COV = coverage.coverage(branch=True, include='app/*')
    COV.start()

import click  # noqa: E402
from flask.cli import FlaskGroup, run_command  # noqa: E402
from flask_migrate import Migrate, upgrade  # noqa: E402

from app import create_app, db  # noqa: E402
from app.models import Role, User  # noqa: E402
from config import ConfigError  # noqa: E402

try:
    app = create_app(os.getenv('FLASK_CONFIG') or 'default')
except ConfigError as exc:
    sys.exit(f'Error: {exc}')
# Batch mode lets new migrations alter tables on SQLite too.
migrate = Migrate(app, db, render_as_batch=True)
# As `python manage.py runserver` did with Flask-Script, run with the
# debugger and reloader when the configuration says DEBUG (development).
os.environ.setdefault('FLASK_DEBUG', '1' if app.config['DEBUG'] else '0')


@app.shell_context_processor
def make_shell_context():
    return dict(db=db, User=User, Role=Role)


@app.cli.command()
@click.option('--coverage/--no-coverage', default=False,
              help='Run tests under code coverage.')
@click.argument('test_names', nargs=-1)
def test(coverage, test_names):
    """Run the unit tests (all of tests/, or the dotted NAMES given)."""
    if coverage and not os.environ.get('FLASK_COVERAGE'):
        os.environ['FLASK_COVERAGE'] = '1'
        os.execvp(sys.executable, [sys.executable] + sys.argv)
    import unittest
    if test_names:
        tests = unittest.TestLoader().loadTestsFromNames(test_names)
    else:
        tests = unittest.TestLoader().discover('tests')
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


@app.cli.command()
def deploy():
    """Run deployment tasks: upgrade the database to the latest revision."""
    upgrade()


cli = FlaskGroup(create_app=lambda: app,
                 help='Flasky management commands.')
cli.add_command(run_command, 'runserver')


if __name__ == '__main__':
    cli()
