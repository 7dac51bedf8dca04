"""A database of a test's own, for tests that run server processes or
break the database on purpose.

PostgreSQL when TEST_DATABASE_URL names a PostgreSQL server: a new
database `flasky_<purpose>_<random>` on that server, dropped afterwards
(the database TEST_DATABASE_URL names is left alone). Otherwise a SQLite
file in a temporary directory.
"""
import contextlib
import os
import secrets
import tempfile

import sqlalchemy as sa


def postgresql_url():
    """TEST_DATABASE_URL if it is a PostgreSQL URL, else None."""
    url = os.environ.get('TEST_DATABASE_URL')
    if url and sa.engine.make_url(url).get_backend_name() == 'postgresql':
        return sa.engine.make_url(url)
    return None


def backend():
    return 'postgresql' if postgresql_url() else 'sqlite'


@contextlib.contextmanager
def admin_engine():
    """An AUTOCOMMIT engine on the server's `postgres` database."""
    engine = sa.create_engine(postgresql_url().set(database='postgres'),
                              isolation_level='AUTOCOMMIT',
                              poolclass=sa.pool.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def terminate_connections(name):
    """End every connection to database `name` but this one."""
    with admin_engine() as engine, engine.connect() as conn:
        conn.execute(sa.text(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
            'WHERE datname = :name AND pid <> pg_backend_pid()'),
            {'name': name})


def allow_connections(name, allow):
    """Let clients connect to database `name`, or refuse them all."""
    with admin_engine() as engine, engine.connect() as conn:
        conn.execute(sa.text(
            f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS '
            f'{"true" if allow else "false"}'))


@contextlib.contextmanager
def scratch_database(purpose):
    """Yield (SQLAlchemy URL string, database name or file path)."""
    pg = postgresql_url()
    if pg is None:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, f'{purpose}.sqlite')
            yield 'sqlite:///' + path, path
        return
    name = f'flasky_{purpose}_{secrets.token_hex(4)}'
    with admin_engine() as engine, engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield pg.set(database=name).render_as_string(
            hide_password=False), name
    finally:
        allow_connections(name, True)
        with admin_engine() as engine, engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
