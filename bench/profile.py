"""Profile one page of the site with pyinstrument, in this process.

    python -m bench.profile [PATH] [-n REQUESTS] [--logged-in]

The production configuration on a scratch SQLite database with one
confirmed user; the requests go straight to the WSGI app (no server, no
network), so the profile shows the site's own code and its extensions.
"""
import argparse
import os
import secrets
import shutil
import sys
import tempfile


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m bench.profile')
    parser.add_argument('path', nargs='?', default='/')
    parser.add_argument('-n', '--requests', type=int, default=2000)
    parser.add_argument('--logged-in', action='store_true')
    args = parser.parse_args(argv)
    workdir = tempfile.mkdtemp(prefix='flasky-profile-')
    os.environ.update(
        FLASK_CONFIG='production', SECRET_KEY=secrets.token_urlsafe(32),
        SERVER_NAME='flasky.bench.test',
        DATABASE_URL='sqlite:///' + os.path.join(workdir, 'p.sqlite'))
    try:
        profile(args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def profile(args):
    from pyinstrument import Profiler

    from app import db
    from app.models import User
    from manage import app
    from .common import PASSWORD, USER_AGENT, csrf_token

    with app.app_context():
        db.create_all()
        db.session.add(User(email='bench@example.com', username='bench',
                            password=PASSWORD, confirmed=True))
        db.session.commit()
    client = app.test_client()
    kwargs = dict(base_url='http://127.0.0.1',
                  headers={'User-Agent': USER_AGENT})
    if args.logged_in:
        form = client.get('/auth/login', **kwargs).get_data(as_text=True)
        response = client.post('/auth/login', data=dict(
            email='bench@example.com', password=PASSWORD,
            csrf_token=csrf_token(form)), **kwargs)
        if response.status_code != 302:
            sys.exit(f'login answered {response.status_code}')
    for _ in range(50):
        client.get(args.path, **kwargs)
    profiler = Profiler(interval=0.0002)
    with profiler:
        for _ in range(args.requests):
            client.get(args.path, **kwargs)
    print(profiler.output_text(unicode=False, color=False))


if __name__ == '__main__':
    main()
