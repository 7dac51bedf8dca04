"""`make bench MODE=shared`: two servers, one PostgreSQL, one Redis.

Starts two gunicorn instances on different ports with one SECRET_KEY,
one database (DATABASE_URL) and one rate-limit store
(RATELIMIT_STORAGE_URI), then shows that a visitor logged in through one
is logged in on the other, and that failed logins counted by one are
counted by the other, for the account and for the address.
"""
import os
import secrets
import shutil
import sys
import tempfile

from . import common
from .common import BenchError, Server

INVALID = 'Invalid email or password.'
THROTTLED = 'Too Many Requests'
# The default limits (config.py): failed logins per account, per address.
ACCOUNT_LIMIT = 5
IP_LIMIT = 10


class Checks:
    def __init__(self):
        self.rows = []

    def check(self, what, ok, detail):
        self.rows.append((what, ok, detail))
        print(f'{"ok" if ok else "FAILED"}: {what} ({detail})',
              file=sys.stderr)
        return ok

    @property
    def failed(self):
        return [row for row in self.rows if not row[1]]

    def table(self):
        lines = ['| check | result | seen |', '|---|:---:|---|']
        for what, ok, detail in self.rows:
            lines.append(f'| {what} | {"ok" if ok else "FAILED"} | '
                         f'{detail} |')
        return '\n'.join(lines)


def settings():
    database_url = os.environ.get('DATABASE_URL', '')
    storage = os.environ.get('RATELIMIT_STORAGE_URI', '')
    if not database_url.startswith('postgresql'):
        raise BenchError(
            'the shared mode needs DATABASE_URL naming a PostgreSQL '
            'database both servers use, e.g. postgresql+psycopg://'
            'postgres@127.0.0.1:5432/flasky_bench (create it first)')
    if not storage.startswith('redis'):
        raise BenchError(
            'the shared mode needs RATELIMIT_STORAGE_URI naming the Redis '
            'both servers count in, e.g. redis://127.0.0.1:6379')
    return database_url, storage


def fail_login(server, email):
    response, _ = common.login(server.port, email, 'not the password')
    return response


def outcome(response):
    if response.status == 429 and THROTTLED in response.text:
        return '429'
    if response.status == 200 and INVALID in response.text:
        return 'refused'
    return str(response.status)


def run_checks(a, b, email, username):
    c = Checks()
    # Sessions: signed cookies, read by any server with the same key.
    response, cookies = common.login(a.port, email)
    c.check('log in through A', response.status == 302,
            f'POST /auth/login on A: {response.status}')
    page = common.get(b.port, '/secret', cookies)
    c.check('the session made by A is honoured by B',
            page.status == 200
            and f'You are logged in as {username}.' in page.text,
            f'GET /secret on B: {page.status}')
    page = common.get(b.port, '/secret')
    c.check('control: B without the cookie asks for a login',
            page.status == 302
            and '/auth/login' in (page.header('Location') or ''),
            f'GET /secret on B: {page.status} to '
            f'{page.header("Location")}')
    response, _ = common.login(a.port, email, post_port=b.port)
    c.check("A's login form (CSRF token) is accepted by B",
            response.status == 302, f'POST /auth/login on B: '
            f'{response.status}')

    # Failed logins for one account, alternating between the servers.
    seen = [outcome(fail_login((a, b)[i % 2], email))
            for i in range(ACCOUNT_LIMIT)]
    c.check(f'{ACCOUNT_LIMIT} failed logins for one account, A and B in '
            'turn, are answered', seen == ['refused'] * ACCOUNT_LIMIT,
            ', '.join(seen))
    seen = [outcome(fail_login(server, email)) for server in (b, a)]
    c.check('the next one is refused 429 by either server',
            seen == ['429', '429'], ', '.join(seen))
    response, _ = common.login(b.port, email)
    c.check('even with the right password, on B', outcome(response) ==
            '429', f'POST /auth/login on B: {response.status}')

    # Failed logins from one address for other accounts: the address
    # has failed ACCOUNT_LIMIT times already.
    others = [f'nobody-{secrets.token_hex(4)}@example.com'
              for _ in range(IP_LIMIT - ACCOUNT_LIMIT + 1)]
    seen = [outcome(fail_login((b, a)[i % 2], other))
            for i, other in enumerate(others[:-1])]
    c.check(f'failed logins from one address up to {IP_LIMIT}, B and A in '
            'turn, are answered', seen == ['refused'] * len(seen),
            ', '.join(seen))
    last = outcome(fail_login(a, others[-1]))
    c.check('the next one, for yet another account, is refused 429',
            last == '429', last)
    return c


def main(args):
    database_url, storage = settings()
    run_id = secrets.token_hex(4)
    prefix = f'flasky-bench-{run_id}'
    # One environment, and so one SECRET_KEY, for both servers.
    env = common.site_env(database_url, key_prefix=prefix,
                          RATELIMIT_STORAGE_URI=storage)
    email = f'bench-{run_id}@example.com'
    username = f'bench_{run_id}'
    workdir = tempfile.mkdtemp(prefix='flasky-bench-shared-')
    servers = []
    seeded = False
    try:
        common.deploy(env)
        info = common.seed_user(env, email, username)
        seeded = True
        for name in ('A', 'B'):
            servers.append(Server(f'site-{name}', 'manage:app', env,
                                  workdir).start())
        checks = run_checks(*servers, email, username)
        keys = common.clear_redis_keys(storage, prefix)
        print(f'\nTwo servers (A on port {servers[0].port}, B on port '
              f'{servers[1].port}), {common.WORKERS} gunicorn workers '
              f'each, one SECRET_KEY, {info["database"]}, '
              f'{common.redis_version(storage)} ({keys} counters under '
              f'{prefix}).\n')
        print(checks.table())
        for server in servers:
            print(f'\n    {server.command}')
        return 1 if checks.failed else 0
    finally:
        for server in servers:
            server.stop()
        if seeded:
            common.delete_user(env, email)
        common.clear_redis_keys(storage, prefix)
        shutil.rmtree(workdir, ignore_errors=True)
