"""pytest's set-up for `make test`, which runs the suite in worker
processes (pytest-xdist). Every test creates and drops its tables, so on
PostgreSQL each worker gets a database of its own, made on the server
TEST_DATABASE_URL names and dropped at the end. `python manage.py test`
runs serially and uses TEST_DATABASE_URL as it is.
"""
import contextlib
import os

from tests import scratchdb


def pytest_configure(config):
    worker = os.environ.get('PYTEST_XDIST_WORKER')
    if worker and scratchdb.postgresql_url() is not None:
        stack = contextlib.ExitStack()
        url, _ = stack.enter_context(scratchdb.scratch_database(worker))
        os.environ['TEST_DATABASE_URL'] = url
        config.add_cleanup(stack.close)
