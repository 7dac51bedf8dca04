"""The floor: what Flask itself does to serve one page, and a login.

A Flask app with no extensions that renders one Jinja template
(compiled once, then taken from Jinja's cache) into a page of
FLOOR_PAGE_BYTES bytes, the size of the page it is compared with.
`make bench` serves it with the same gunicorn settings as the site and
measures it with the same wrk settings.

Its /auth/login is the least a Flask login can do: the form page puts a
token in the session (Flask's signed cookie); the POST checks the token,
looks the email up in SQLite and checks the password against a hash of
FLOOR_HASH_METHOD, then starts a new session and redirects. No form
library, no ORM, no other checks.
"""
import hmac
import os
import secrets
import sqlite3

from flask import (Flask, abort, redirect, render_template, request,
                   session)
from werkzeug.security import check_password_hash, generate_password_hash

from .common import PASSWORD

app = Flask(__name__)
# The same key in every worker: a form from one is posted to another.
app.secret_key = os.environ.get('FLOOR_SECRET_KEY', 'floor secret key')

PAGE_BYTES = int(os.environ.get('FLOOR_PAGE_BYTES', '2000'))
CONTEXT = dict(title='Flasky', name='Stranger')


def _filler(size):
    """Text that brings the rendered page to `size` bytes."""
    with app.app_context():
        bare = len(render_template('floor.html', filler='', **CONTEXT)
                   .encode())
    if size < bare:
        raise ValueError(f'FLOOR_PAGE_BYTES must be at least {bare}')
    return 'x' * (size - bare)


FILLER = _filler(PAGE_BYTES)


@app.route('/')
def index():
    return render_template('floor.html', filler=FILLER, **CONTEXT)


# One user, in each worker's own in-memory database.
USERS = sqlite3.connect(':memory:')
USERS.execute('CREATE TABLE users (email TEXT PRIMARY KEY, hash TEXT)')
USERS.execute('INSERT INTO users VALUES (?, ?)', (
    os.environ.get('FLOOR_EMAIL', 'floor@example.com'),
    generate_password_hash(PASSWORD,
                           os.environ.get('FLOOR_HASH_METHOD', 'scrypt'))))


@app.route('/auth/login', methods=['GET', 'POST'])
def login():
    if request.method == 'GET':
        session['csrf_token'] = secrets.token_urlsafe(32)
        return render_template('floor_login.html',
                               token=session['csrf_token'])
    if not hmac.compare_digest(request.form.get('csrf_token', ''),
                               session.get('csrf_token', '')):
        abort(400)
    row = USERS.execute('SELECT hash FROM users WHERE email = ?',
                        (request.form.get('email', ''),)).fetchone()
    if row is None or not check_password_hash(
            row[0], request.form.get('password', '')):
        return render_template('floor_login.html', token=session[
            'csrf_token']), 200
    session.clear()
    session['user'] = request.form['email']
    return redirect('/')
