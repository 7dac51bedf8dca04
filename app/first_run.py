"""The first run, before the database has its tables.

In development a page that needs a table the database lacks says what to
run, instead of showing a traceback; and the development server warns
at its start when the database is behind the migrations. Outside
development such an error is an error like any other (the 500 page).
"""
import sqlalchemy as sa
from flask import g, render_template

UPGRADE = 'python manage.py db upgrade'


def missing_table(error):
    """True if `error`, a SQLAlchemy DBAPIError, is about a table or a
    column the database does not have."""
    # SQLite says so in words, PostgreSQL with its codes for
    # undefined_table and undefined_column.
    return (str(error.orig).startswith(('no such table', 'no such column'))
            or getattr(error.orig, 'sqlstate', None) in ('42P01', '42703'))


def database_not_ready(error):
    from . import db    # made after this module is imported

    if not missing_table(error):
        raise error     # not ours: Flask handles it as before
    db.session.rollback()
    # The layout looks the user up, maybe in a missing table: show the
    # page as to a visitor, as the 500 page does with the database down.
    g.database_unavailable = True
    tables = set(sa.inspect(db.engine).get_table_names())
    return render_template('no_tables.html',
                           empty=not tables - {'alembic_version'}), 503


def init_app(app):
    if app.config['DEBUG']:
        app.register_error_handler(sa.exc.DBAPIError, database_not_ready)


def warn_if_database_behind(app, migrations):
    """Log a warning if the database is not at the head revision of the
    migrations in the directory `migrations`.

    For the development server's start only: it loads Alembic, which the
    app itself does not need, and connects to the database.
    """
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from . import db

    heads = set(ScriptDirectory(migrations).get_heads())
    try:
        with app.app_context(), db.engine.connect() as connection:
            current = set(
                MigrationContext.configure(connection).get_current_heads())
    except sa.exc.SQLAlchemyError as exc:
        app.logger.warning('Could not read the database revision: %s', exc)
        return
    if current == heads:
        return
    if not current:
        state = 'The database has no tables yet'
    else:
        state = 'The database is at revision {}, the migrations at {}'.format(
            ', '.join(sorted(current)), ', '.join(sorted(heads)))
    app.logger.warning(
        '%s: run `%s` (or `flask db upgrade`) before you use the site.',
        state, UPGRADE)
