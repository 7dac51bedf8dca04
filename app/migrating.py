"""Flask-Migrate, loaded when a `db` command or `deploy` runs.

Importing Flask-Migrate brings Alembic and Mako with it: about 11 MB in
every server process, which never migrates anything. This `Migrate`
takes the same settings as Flask-Migrate's and registers a `db` command
group that loads Flask-Migrate (and its real `Migrate` for the app) only
when it is used; `ready(app)` does the same for code that calls
Flask-Migrate's functions, such as `manage.py deploy`.
"""
import click


class LazyGroup(click.Group):
    """A command group that stands for the group `load()` returns, loaded
    only when the command line names it."""

    def __init__(self, load, **kwargs):
        super().__init__(**kwargs)
        self.load = load

    def make_context(self, info_name, args, parent=None, **extra):
        # The loaded group parses the arguments, and so runs the command.
        return self.load().make_context(info_name, args, parent=parent,
                                        **extra)

    def list_commands(self, ctx):
        return self.load().list_commands(ctx)

    def get_command(self, ctx, name):
        return self.load().get_command(ctx, name)


class Migrate:
    """Flask-Migrate's `Migrate`, made for an app when first needed."""

    def __init__(self, command='db'):
        self.command = command

    def init_app(self, app, db, **kwargs):
        app.extensions['flasky_migrate'] = (db, kwargs)
        app.cli.add_command(LazyGroup(
            lambda: ready(app), name=self.command,
            help='Perform database migrations.'))


def ready(app):
    """Set up Flask-Migrate for `app`; return its `db` command group."""
    import flask_migrate
    from flask_migrate.cli import db as group
    if 'migrate' not in app.extensions:
        db, kwargs = app.extensions['flasky_migrate']
        # Also puts Flask-Migrate's own group in app.cli.
        flask_migrate.Migrate().init_app(app, db, **kwargs)
    return group
