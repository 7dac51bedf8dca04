"""Flasky under gunicorn in a process of its own, as it is deployed, and a
client that visits it as a browser does. The bench and the tests share it.
"""
import http.client
import http.cookies
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlencode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# What a caller's environment must not pass on to a server or a command
# it starts: each server or command gets its settings from its caller.
SCRUBBED = ('FLASK_APP', 'FLASK_CONFIG', 'FLASK_COVERAGE', 'FLASK_DEBUG',
            'FLASK_ENV', 'DATABASE_URL', 'DEV_DATABASE_URL',
            'TEST_DATABASE_URL', 'SECRET_KEY', 'SERVER_NAME',
            'PREFERRED_URL_SCHEME', 'MAIL_SERVER', 'MAIL_PORT',
            'MAIL_USE_TLS', 'MAIL_USERNAME', 'MAIL_PASSWORD',
            'RATELIMIT_STORAGE_URI', 'RATELIMIT_KEY_PREFIX', 'TRUSTED_HOSTS',
            'GUNICORN_CMD_ARGS', 'FORWARDED_ALLOW_IPS', 'PYTHONSTARTUP')


def clean_environ(**settings):
    """This process's environment without SCRUBBED, FLASKY_* and
    FLASK_RUN_* settings, with `settings` added."""
    env = {key: value for key, value in os.environ.items()
           if key not in SCRUBBED
           and not key.startswith(('FLASKY_', 'FLASK_RUN_'))}
    env.update(settings)
    return env


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def csrf_token(page):
    """The CSRF token of the form on a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      page)
    if match is None:
        raise AssertionError('no CSRF token on the page')
    return match.group(1)


def stop_process(proc, how=signal.SIGTERM, timeout=10):
    """Send `proc` the signal `how`; kill it if it has not ended within
    `timeout` seconds."""
    if proc.poll() is not None:
        return
    proc.send_signal(how)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


class Gunicorn:
    """`gunicorn flasky:app` with the production configuration on
    127.0.0.1, on the database `database_url` (made by `manage.py
    deploy`), with `settings` added to its environment."""

    START_TIMEOUT = 30      # seconds for the server to answer

    def __init__(self, database_url, workers=2, threads=1,
                 app='flasky:app', **settings):
        self.port = free_port()
        self.host = f'127.0.0.1:{self.port}'
        self.workers = workers
        self.secret_key = secrets.token_hex(32)
        self.env = clean_environ(**{
            'FLASK_CONFIG': 'production', 'SECRET_KEY': self.secret_key,
            'SERVER_NAME': self.host, 'DATABASE_URL': database_url,
            'PYTHONUNBUFFERED': '1', **settings})
        self.argv = [sys.executable, '-m', 'gunicorn',
                     '--bind', self.host, '--workers', str(workers),
                     '--threads', str(threads), '--graceful-timeout', '1',
                     '--no-control-socket', app]
        self.process = None
        self._log = tempfile.TemporaryFile(mode='w+')

    def run(self, *args, input=None):
        """Run `python ARGS` in the server's environment; its output."""
        result = subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=self.env, input=input,
            timeout=120, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
        if result.returncode != 0:
            raise RuntimeError(f'{" ".join(args)} failed:\n'
                               + result.stdout)
        return result.stdout

    def deploy(self):
        """`python manage.py deploy`: the schema, by the migrations."""
        self.run('manage.py', 'deploy')
        return self

    def add_user(self, email, username, password):
        """A confirmed user, made with `python manage.py shell`."""
        self.run('manage.py', 'shell', input=(
            f'db.session.add(User(email={email!r}, username={username!r}, '
            f'password={password!r}, confirmed=True))\n'
            'db.session.commit()\n'))

    def start(self):
        self.process = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=self._log,
            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('gunicorn exited:\n' + self.log())
            try:
                if len(self.worker_pids()) == self.workers and \
                        Browser(self.port).get('/auth/login').status == 200:
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
            stop_process(self.process, signal.SIGINT)

    def close(self):
        self.stop()
        self._log.close()

    def log(self):
        self._log.flush()
        self._log.seek(0)
        return self._log.read()

    def worker_pids(self):
        pid = self.process.pid
        try:
            with open(f'/proc/{pid}/task/{pid}/children') as f:
                return [int(p) for p in f.read().split()]
        except OSError:
            return []

    def worker_rss_mb(self):
        """Each worker's resident memory, in MB (2**20 bytes)."""
        sizes = []
        for pid in self.worker_pids():
            with open(f'/proc/{pid}/status') as f:
                kib = re.search(r'^VmRSS:\s+(\d+) kB', f.read(), re.M)
            sizes.append(int(kib.group(1)) / 1024)
        return sizes

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


class Browser:
    """A visitor of the server on `port`: it keeps its cookies (the Secure
    ones too, as a TLS proxy would stand in between) and sends a Referer,
    as a browser does. One connection per request; redirects are not
    followed."""

    def __init__(self, port, host=None, timeout=30, user_agent='Flasky-test'):
        self.port = port
        self.host = host or f'127.0.0.1:{port}'
        self.timeout = timeout
        self.user_agent = user_agent
        self.cookies = {}

    def cookie_header(self):
        return '; '.join(f'{k}={v}' for k, v in self.cookies.items())

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection('127.0.0.1', self.port,
                                          timeout=self.timeout)
        try:
            all_headers = {'Host': self.host, 'User-Agent': self.user_agent,
                           'Referer': f'https://{self.host}{path}'}
            if self.cookies:
                all_headers['Cookie'] = self.cookie_header()
            all_headers.update(headers or {})
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            body = response.read()
            for header in response.headers.get_all('Set-Cookie') or []:
                for name, morsel in http.cookies.SimpleCookie(header).items():
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
        return csrf_token(response.text)

    def submit(self, path, fields):
        """GET the form at `path`, then POST `fields` with its token."""
        return self.post(path, dict(fields, csrf_token=self.form(path)))

    def login(self, email, password):
        return self.submit('/auth/login', dict(email=email,
                                               password=password))
