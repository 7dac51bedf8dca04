"""The app served by gunicorn in a process of its own, as deployed, and a
small HTTP client that behaves like a browser behind the TLS proxy.

Used by the race tests and by `make soak` (tools/soak.py).
"""
import http.client
import http.cookies
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlencode, urlsplit

from tests.support import free_port, stop_process

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
START_TIMEOUT = 30      # seconds for the server to answer
STOP_TIMEOUT = 10       # seconds for it to stop after SIGTERM
# What the caller's environment must not pass on to the server.
UNWANTED = ('FLASK_APP', 'FLASK_CONFIG', 'FLASK_COVERAGE', 'FLASK_DEBUG',
            'DATABASE_URL', 'DEV_DATABASE_URL', 'SECRET_KEY', 'SERVER_NAME',
            'MAIL_SERVER', 'MAIL_PORT', 'MAIL_USE_TLS', 'MAIL_USERNAME',
            'MAIL_PASSWORD', 'RATELIMIT_STORAGE_URI', 'GUNICORN_CMD_ARGS',
            'FORWARDED_ALLOW_IPS')


class Server:
    """`gunicorn manage:app` with the production configuration on
    127.0.0.1, on a database and an SMTP server of the caller's."""

    def __init__(self, database_url, mail_port=None, workers=2, threads=8,
                 extra_env=None):
        self.port = free_port()
        self.host = f'127.0.0.1:{self.port}'
        self.secret_key = secrets.token_hex(32)
        env = {k: v for k, v in os.environ.items() if k not in UNWANTED}
        env.update(
            FLASK_CONFIG='production', SECRET_KEY=self.secret_key,
            SERVER_NAME=self.host, DATABASE_URL=database_url,
            PYTHONUNBUFFERED='1')
        if mail_port is not None:
            env.update(MAIL_SERVER='127.0.0.1', MAIL_PORT=str(mail_port),
                       MAIL_USE_TLS='false')
        env.update(extra_env or {})
        self.env = env
        self.workers = workers
        self.threads = threads
        self.process = None
        self._log = tempfile.TemporaryFile(mode='w+')

    def deploy(self):
        """`python manage.py deploy`: the schema, by the migrations."""
        result = subprocess.run(
            [sys.executable, 'manage.py', 'deploy'], cwd=ROOT, env=self.env,
            timeout=120, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
        if result.returncode != 0:
            raise RuntimeError('manage.py deploy failed:\n' + result.stdout)

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'gunicorn',
             '--bind', self.host, '--workers', str(self.workers),
             '--threads', str(self.threads), '--graceful-timeout', '1',
             '--preload', '--no-control-socket',
             'manage:app'],
            cwd=ROOT, env=self.env, stdout=self._log,
            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('gunicorn exited:\n' + self.log())
            try:
                if Browser(self).get('/auth/login').status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError('gunicorn did not answer in time:\n' + self.log())

    def stop(self):
        if self.process is not None:
            # SIGINT: gunicorn's quick shutdown (SIGTERM waits for the
            # workers to finish what they are doing).
            stop_process(self.process, signal.SIGINT, STOP_TIMEOUT)

    def close(self):
        self.stop()
        self._log.close()

    def log(self):
        self._log.flush()
        self._log.seek(0)
        return self._log.read()

    def pids(self):
        """The gunicorn master and its workers."""
        pids = [self.process.pid]
        children = f'/proc/{self.process.pid}/task/{self.process.pid}/' \
            'children'
        try:
            with open(children) as f:
                pids += [int(p) for p in f.read().split()]
        except OSError:
            pass
        return pids

    def rss_kib(self):
        """Resident memory of the master and workers, in KiB."""
        total = 0
        for pid in self.pids():
            try:
                with open(f'/proc/{pid}/status') as f:
                    for line in f:
                        if line.startswith('VmRSS:'):
                            total += int(line.split()[1])
            except OSError:
                pass
        return total

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()


class Response:

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self):
        return self.body.decode('utf-8', 'replace')

    @property
    def location(self):
        """The path a redirect points to."""
        return urlsplit(self.headers.get('Location', '')).path


class Browser:
    """A browser behind the TLS-terminating proxy: it keeps its cookies
    (also the Secure ones: the proxy speaks HTTPS to it) and sends
    X-Forwarded-Proto: https and a Referer, as the proxy and a browser
    do. One connection per request; redirects are not followed."""

    def __init__(self, server, timeout=30):
        self.server = server
        self.timeout = timeout
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection('127.0.0.1', self.server.port,
                                          timeout=self.timeout)
        try:
            all_headers = {
                'Host': self.server.host,
                'X-Forwarded-Proto': 'https',
                'Referer': f'https://{self.server.host}{path}',
            }
            if self.cookies:
                all_headers['Cookie'] = '; '.join(
                    f'{k}={v}' for k, v in self.cookies.items())
            all_headers.update(headers or {})
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            body = response.read()
            for header in response.headers.get_all('Set-Cookie') or []:
                cookie = http.cookies.SimpleCookie(header)
                for name, morsel in cookie.items():
                    if morsel['max-age'] == '0' or not morsel.value:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            return Response(response.status, response.headers, body)
        finally:
            conn.close()

    def get(self, path):
        return self.request('GET', path)

    def post(self, path, fields):
        return self.request(
            'POST', path, body=urlencode(fields),
            headers={'Content-Type': 'application/x-www-form-urlencoded'})

    def form(self, path):
        """GET the form at `path`; its CSRF token."""
        response = self.get(path)
        if response.status != 200:
            raise AssertionError(f'GET {path}: {response.status}')
        match = re.search(
            r'name="csrf_token" type="hidden" value="([^"]+)"',
            response.text)
        if match is None:
            raise AssertionError(f'no CSRF token on {path}')
        return match.group(1)
