"""The app module, named as in the book's 2nd edition.

- The flask command: with FLASK_APP=flasky.py, `flask run`, `flask
  shell`, `flask db upgrade`, `flask test`, `flask deploy`. The app is
  manage.py's, with the same commands: FLASK_CONFIG unset means
  development, as in the book.
- A WSGI server: `gunicorn flasky:app`. FLASK_CONFIG unset means
  production, which refuses to start without SECRET_KEY and SERVER_NAME:
  a server never falls back on development settings. Nor does it load
  the command line, and with it Flask-Migrate and Alembic, which its
  workers would carry for nothing.
"""
import os

import click
from flask.cli import ScriptInfo


def loaded_by_flask_command():
    """True when the flask command is loading this module: it does so
    within its click context, which holds its ScriptInfo."""
    context = click.get_current_context(silent=True)
    return context is not None and context.find_object(ScriptInfo) is not None


if loaded_by_flask_command():
    from manage import app
else:
    from app import create_app

    app = create_app(os.getenv('FLASK_CONFIG') or 'production')
