"""The floor: the least Flask itself does to serve a page and a login.

GET / renders one template (compiled once, then cached by Jinja) into a
page of FLOOR_PAGE_BYTES bytes, the size of the site's home page. GET
/auth/login puts a token in the session; the POST checks it, looks the
email up in SQLite, checks the password against a hash made as the site
makes its own, and redirects.
"""
import hmac
import os
import secrets
import sqlite3

from flask import Flask, abort, redirect, render_template, request, session
from werkzeug.security import check_password_hash, generate_password_hash

from config import Config

app = Flask(__name__)
# bench/server.py gives every worker the same key: a form made by one
# worker is posted to another.
app.secret_key = os.environ['SECRET_KEY']

with app.app_context():
    bare = len(render_template('floor.html', filler='').encode())
FILLER = 'x' * (int(os.environ['FLOOR_PAGE_BYTES']) - bare)

# One user, in each worker's own in-memory database.
USERS = sqlite3.connect(':memory:')
USERS.execute('CREATE TABLE users (email TEXT PRIMARY KEY, hash TEXT)')
USERS.execute('INSERT INTO users VALUES (?, ?)', (
    os.environ['FLOOR_EMAIL'],
    generate_password_hash(os.environ['FLOOR_PASSWORD'],
                           Config.FLASKY_PASSWORD_HASH_METHOD)))


@app.route('/')
def index():
    return render_template('floor.html', filler=FILLER)


@app.route('/auth/login', methods=['GET', 'POST'])
def login():
    if request.method == 'GET':
        session['token'] = secrets.token_urlsafe(32)
        return render_template('floor.html', token=session['token'])
    token = session.get('token')
    if token is None or not hmac.compare_digest(
            request.form.get('csrf_token', ''), token):
        abort(400)
    row = USERS.execute('SELECT hash FROM users WHERE email = ?',
                        (request.form.get('email'),)).fetchone()
    if row is None or not check_password_hash(
            row[0], request.form.get('password', '')):
        abort(401)
    session.clear()
    session['user'] = request.form['email']
    return redirect('/')
