"""python -m bench.profile [PATH] [-n REQUESTS] [--logged-in]

Profiles one page with pyinstrument: the production configuration on a
scratch SQLite database, requests sent straight to the app by Flask's test
client, so that the profile shows the site's code and its extensions.
"""
import argparse
import os
import secrets
import sys
import tempfile

from pyinstrument import Profiler

from .server import csrf_token

parser = argparse.ArgumentParser(prog='python -m bench.profile')
parser.add_argument('path', nargs='?', default='/')
parser.add_argument('-n', '--requests', type=int, default=2000)
parser.add_argument('--logged-in', action='store_true')
args = parser.parse_args()
user = dict(email='profile@example.com', password='correct horse battery')

with tempfile.TemporaryDirectory() as tmp:
    # Set before the app is made: flasky.py makes it on import.
    os.environ.update(
        FLASK_CONFIG='production', SECRET_KEY=secrets.token_hex(32),
        SERVER_NAME='localhost',
        DATABASE_URL='sqlite:///' + os.path.join(tmp, 'profile.sqlite'))
    from app import db
    from app.models import User
    from flasky import app
    with app.app_context():
        db.create_all()
        db.session.add(User(username='profile', confirmed=True, **user))
        db.session.commit()
    client = app.test_client()
    if args.logged_in:
        token = csrf_token(client.get('/auth/login').text)
        response = client.post('/auth/login', data=dict(user,
                                                        csrf_token=token))
        if response.status_code != 302:
            sys.exit(f'the login answered {response.status}')
    for _ in range(50):
        client.get(args.path)
    with Profiler(interval=0.0002) as profiler:
        for _ in range(args.requests):
            response = client.get(args.path)
print(profiler.output_text(unicode=False, color=False))
print(f'{args.path} answered {response.status}')
