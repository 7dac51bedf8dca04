"""The app for WSGI servers: `gunicorn flasky:app`.

manage.py has the same app, but also the command line, and with it
Flask-Migrate and Alembic, which a web server's workers need not carry.
With no FLASK_CONFIG this is the production configuration, which refuses
to start without SECRET_KEY and SERVER_NAME: a server never falls back on
development settings.
"""
import os

from app import create_app

app = create_app(os.getenv('FLASK_CONFIG') or 'production')
