"""What both modes of `make bench` share: the site's environment, gunicorn
servers on 127.0.0.1, and a small HTTP client that logs in as a browser
does (form page, CSRF token, POST)."""
import http.client
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlencode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, 'bench')
PYTHON = sys.executable
GUNICORN = os.path.join(os.path.dirname(sys.executable), 'gunicorn')
# Flask-Login's session protection ties a session to the address and the
# User-Agent it was made with: every request of the benchmark sends this.
USER_AGENT = 'flasky-bench'
PASSWORD = 'correct horse battery staple'
WORKERS = 2
START_TIMEOUT = 60


class BenchError(RuntimeError):
    """The benchmark cannot go on; the message says why."""


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def site_env(database_url, key_prefix=None, **extra):
    """The environment of a production deployment of the site."""
    env = dict(os.environ)
    env.update(FLASK_CONFIG='production',
               SECRET_KEY=secrets.token_urlsafe(32),
               SERVER_NAME='flasky.bench.test',
               DATABASE_URL=database_url)
    if key_prefix:
        env['RATELIMIT_KEY_PREFIX'] = key_prefix
    env.update(extra)
    return env


def run_checked(argv, env, what):
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    if result.returncode != 0:
        raise BenchError(f'{what} failed:\n{result.stdout}{result.stderr}')
    return result.stdout


def deploy(env):
    run_checked([PYTHON, 'manage.py', 'deploy'], env, 'manage.py deploy')


def seed_user(env, email, username):
    import json
    out = run_checked([PYTHON, '-m', 'bench.seed', 'create', email,
                       username, PASSWORD], env, 'seeding the user')
    return json.loads(out.strip().splitlines()[-1])


def delete_user(env, email):
    run_checked([PYTHON, '-m', 'bench.seed', 'delete', email], env,
                'removing the user')


def clear_redis_keys(url, prefix):
    """Delete the rate-limit counters this run made in Redis."""
    import redis
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f'*{prefix}*', count=1000))
        if keys:
            client.delete(*keys)
        return len(keys)
    finally:
        client.close()


def redis_version(url):
    import redis
    client = redis.Redis.from_url(url)
    try:
        return 'Redis ' + client.info('server')['redis_version']
    finally:
        client.close()


class Server:
    """A gunicorn master and its sync workers on 127.0.0.1."""

    def __init__(self, name, app, env, logdir, workers=WORKERS,
                 config=None):
        self.name = name
        self.port = free_port()
        self.env = env
        self.argv = [GUNICORN, '--workers', str(workers),
                     '--worker-class', 'sync',
                     '--bind', f'127.0.0.1:{self.port}',
                     '--no-control-socket', '--log-level', 'warning', app]
        if config:
            self.argv[1:1] = ['--config', f'python:{config}']
        self.workers = workers
        self.logpath = os.path.join(logdir, f'{name}.log')
        self.proc = None

    @property
    def command(self):
        """The command line, as a reader would type it."""
        return shlex.join(['gunicorn'] + self.argv[1:])

    def url(self, path='/'):
        return f'http://127.0.0.1:{self.port}{path}'

    def start(self):
        with open(self.logpath, 'w') as log:
            self.proc = subprocess.Popen(
                self.argv, cwd=ROOT, env=self.env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f'{self.name} exited at start:\n'
                                 + self.log_tail())
            if len(self.worker_pids()) == self.workers:
                try:
                    get(self.port, '/')
                    return self
                except OSError:
                    pass
            time.sleep(0.2)
        raise BenchError(f'{self.name} did not answer within '
                         f'{START_TIMEOUT} s:\n' + self.log_tail())

    def log_tail(self, lines=30):
        with open(self.logpath) as log:
            return ''.join(log.readlines()[-lines:])

    def worker_pids(self):
        pid = self.proc.pid
        try:
            with open(f'/proc/{pid}/task/{pid}/children') as f:
                return [int(p) for p in f.read().split()]
        except FileNotFoundError:
            return []

    def worker_rss_mb(self):
        """Each worker's resident memory, in MB (2**20 bytes)."""
        sizes = []
        for pid in self.worker_pids():
            with open(f'/proc/{pid}/status') as f:
                match = re.search(r'^VmRSS:\s+(\d+) kB', f.read(), re.M)
            sizes.append(int(match.group(1)) / 1024)
        return sizes

    def worker_cpu_seconds(self):
        """User and system time the workers have used so far."""
        ticks = 0
        for pid in self.worker_pids():
            with open(f'/proc/{pid}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf('SC_CLK_TCK')

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


# -- a browser's side, one connection per request --------------------------

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self):
        return self.body.decode('utf-8', 'replace')

    def cookies(self):
        """name -> value of the cookies the response sets."""
        jar = {}
        for name, value in self.headers:
            if name.lower() == 'set-cookie':
                pair = value.split(';', 1)[0]
                key, _, val = pair.partition('=')
                jar[key.strip()] = val.strip()
        return jar

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def request(port, method, path, cookies=None, form=None, timeout=30,
            headers=None):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout)
    try:
        headers = {**(headers or {}), 'User-Agent': USER_AGENT}
        body = None
        if cookies:
            headers['Cookie'] = cookie_header(cookies)
        if form is not None:
            body = urlencode(form)
            headers['Content-Type'] = 'application/x-www-form-urlencoded'
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        return Response(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def get(port, path, cookies=None):
    return request(port, 'GET', path, cookies)


def cookie_header(cookies):
    return '; '.join(f'{k}={v}' for k, v in cookies.items())


def csrf_token(page):
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      page)
    if match is None:
        raise BenchError('no CSRF token on the login page')
    return match.group(1)


def login(port, email, password=PASSWORD, post_port=None, headers=None):
    """GET the login form, POST it with its CSRF token (to `post_port`
    if given, with `headers` added). Returns the POST's response and the
    cookies after it."""
    form_page = get(port, '/auth/login')
    if form_page.status != 200:
        raise BenchError(f'GET /auth/login answered {form_page.status}')
    cookies = form_page.cookies()
    response = request(post_port or port, 'POST', '/auth/login', cookies,
                       dict(csrf_token=csrf_token(form_page.text),
                            email=email, password=password,
                            submit='Log In'), headers=headers)
    cookies.update(response.cookies())
    return response, cookies
