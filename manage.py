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
              help='Run tests under code coverage (serially).')
@click.option('--jobs', '-j', type=click.IntRange(min=1), default=None,
              help='Worker processes to run the tests in. Default: 1 '
              'when test names or --coverage are given, else the number '
              'of CPUs, at most 4.')
@click.option('--serial', is_flag=True,
              help='Run the tests in this process (same as --jobs 1).')
@click.option('--worker', is_flag=True, hidden=True)
@click.argument('test_names', nargs=-1)
def test(coverage, jobs, serial, worker, test_names):
    """Run the unit tests (all of tests/, or the dotted NAMES given)."""
    if coverage and not os.environ.get('FLASK_COVERAGE'):
        import subprocess
        os.environ['FLASK_COVERAGE'] = '1'
        sys.exit(subprocess.call([sys.executable] + sys.argv))

    from tests import runner
    root = os.path.dirname(os.path.abspath(__file__))
    if worker:
        runner.run_worker(test_names, root)
        return
    if serial or COV:
        jobs = 1
    elif jobs is None:
        jobs = 1 if test_names else min(4, len(os.sched_getaffinity(0)))
    if jobs == 1:
        status, line = runner.run_serial(test_names, root)
    else:
        status, line = runner.run_parallel(
            test_names, jobs, os.path.abspath(__file__), root)
    if COV:
        COV.stop()
        COV.save()
        print('Coverage Summary:')
        COV.report()
        covdir = os.path.join(root, 'tmp', 'coverage')
        COV.html_report(directory=covdir)
        print(f'HTML version: file://{covdir}/index.html')
        COV.erase()
    print(line)
    sys.exit(status)


@app.cli.command()
def deploy():
    """Run deployment tasks: upgrade the database to the latest revision."""
    migrate().upgrade()


cli = FlaskGroup(create_app=lambda: app,
                 help='Flasky management commands.')
cli.add_command(run_command, 'runserver')


if __name__ == '__main__':
    cli()
