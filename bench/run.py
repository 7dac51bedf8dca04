"""The measurement: the site and the floor under gunicorn, loaded by wrk.

Each round measures the floor and then each page of the site with the
same wrk settings, times full logins and one password hash; the report
gives the median of the rounds and each figure as a ratio to the floor.
"""
import datetime
import json
import os
import platform
import secrets
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata

from . import common
from .common import BenchError, Server

PACKAGES = ('Flask', 'Werkzeug', 'Jinja2', 'SQLAlchemy', 'Flask-Login',
            'Flask-WTF', 'Flask-Limiter', 'flask-talisman',
            'Flask-Bootstrap', 'gunicorn')

# (key, label, path, logged in, text the page must show)
PAGES = [
    ('anon_index', 'GET / (anonymous)', '/', False, 'Hello, Stranger!'),
    ('login_page', 'GET /auth/login', '/auth/login', False,
     'name="csrf_token"'),
    ('user_index', 'GET / (logged in)', '/', True, 'Hello, {username}!'),
    ('secret', 'GET /secret (logged in)', '/secret', True,
     'You are logged in as {username}.'),
]

# What each wrk run gives, compared with the floor's.
MEASURES = ('rps', 'p50', 'p99', 'cpu')

TARGETS_TEXT = """\
Targets: anonymous `GET /` at least 0.8x the floor's requests/s;
`GET /auth/login` at least 0.5x; a full login's median at most one
password hash + 5 ms; each worker at most 60 MB resident."""


def parse_duration(text):
    """'10', '10s', '2m' -> seconds."""
    text = str(text).strip().lower()
    factor = 1
    if text.endswith('m'):
        factor, text = 60, text[:-1]
    elif text.endswith('s'):
        text = text[:-1]
    seconds = int(text) * factor
    if seconds < 1:
        raise ValueError('the duration must be at least 1 second')
    return seconds


class Wrk:
    def __init__(self, seconds, connections, threads):
        self.seconds = seconds
        self.connections = connections
        self.threads = threads
        self.script = os.path.join(common.BENCH, 'wrk.lua')

    def argv(self, url, headers=()):
        argv = ['wrk', '-t', str(self.threads), '-c', str(self.connections),
                '-d', f'{self.seconds}s', '-s', self.script,
                '-H', f'User-Agent: {common.USER_AGENT}']
        for header in headers:
            argv += ['-H', header]
        return argv + [url]

    def command(self, url, headers=()):
        argv = self.argv(url, headers)
        argv[argv.index(self.script)] = 'bench/wrk.lua'
        return shlex.join(argv)

    def run(self, url, headers=(), server=None):
        """One wrk run; with `server`, also its workers' CPU time."""
        cpu = server.worker_cpu_seconds() if server else None
        result = subprocess.run(self.argv(url, headers), capture_output=True,
                                text=True, timeout=self.seconds + 60)
        for line in result.stdout.splitlines():
            if line.startswith('BENCH-JSON '):
                data = json.loads(line[len('BENCH-JSON '):])
                break
        else:
            raise BenchError(f'wrk gave no result:\n{result.stdout}'
                             f'{result.stderr}')
        seconds = data['duration_us'] / 1e6
        errors = sum(data[k] for k in ('connect_errors', 'read_errors',
                                       'write_errors', 'timeouts'))
        figures = dict(rps=data['requests'] / seconds,
                       p50=data['p50_us'] / 1000, p99=data['p99_us'] / 1000,
                       non2xx=data['non2xx'], socket_errors=errors,
                       requests=data['requests'])
        if server:
            figures['cpu'] = 1000 * (server.worker_cpu_seconds() - cpu) \
                / max(1, data['requests'])
        return figures

    @staticmethod
    def version():
        result = subprocess.run(['wrk', '-v'], capture_output=True,
                                text=True, timeout=30)
        first = (result.stdout or result.stderr).splitlines()[0]
        return first.split(' Copyright')[0]


def percentile(values, fraction):
    values = sorted(values)
    index = min(len(values) - 1, max(0, round(fraction * len(values)) - 1))
    return values[index]


def time_logins(port, email, count, method, hash_log):
    """Full logins (form page + POST), one after another. Returns each
    login's seconds; what its worker timed of the POST (bench/hashtimer.py
    writes it to `hash_log`): the seconds spent hashing, `before` the
    first hash and `after` the last; and the seconds one hash of `method`
    takes in this process, timed after each login."""
    from werkzeug.security import check_password_hash, generate_password_hash
    hashed = generate_password_hash(common.PASSWORD, method)
    batch = secrets.token_hex(4)
    logins, hashes = [], []
    for number in range(count):
        start = time.perf_counter()
        response, _ = common.login(
            port, email, headers={'X-Bench-Login': f'{batch}-{number}'})
        logins.append(time.perf_counter() - start)
        if response.status != 302:
            raise BenchError(f'a login answered {response.status}, '
                             'not a redirect')
        start = time.perf_counter()
        check_password_hash(hashed, common.PASSWORD)
        hashes.append(time.perf_counter() - start)
    labels = [f'{batch}-{number}' for number in range(count)]
    # A worker writes its line once the answer has gone out.
    deadline = time.monotonic() + 1
    while True:
        timed = worker_timings(hash_log)
        missing = [label for label in labels if label not in timed]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if missing:
        raise BenchError(f'login {missing[0]} made no hash in its worker')
    return logins, [timed[label] for label in labels], hashes


def worker_timings(hash_log):
    """X-Bench-Login label -> {'hash', 'before', 'after'}, in seconds,
    from bench/hashtimer.py's lines."""
    timings = {}
    with open(hash_log) as log:
        for line in log:
            label, *milliseconds = line.split()
            timings[label] = dict(zip(
                ('hash', 'before', 'after'),
                (float(ms) / 1000 for ms in milliseconds)))
    return timings


def median_ms(timings, part):
    return statistics.median(t[part] for t in timings) * 1000


def overhead(logins, timings):
    """Milliseconds, median: each login's time minus its own hash."""
    return statistics.median(
        login - t['hash'] for login, t in zip(logins, timings)) * 1000


def check_pages(site, floor, cookies, username):
    """Each page answers as it should before it is measured."""
    for key, label, path, logged_in, text in PAGES:
        response = common.get(site.port, path,
                              cookies if logged_in else None)
        want = text.format(username=username)
        if response.status != 200 or want not in response.text:
            raise BenchError(f'{label} answered {response.status} without '
                             f'{want!r}')
    page = common.get(floor.port, '/')
    if page.status != 200:
        raise BenchError(f'the floor answered {page.status}')
    return len(page.body)


def cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'


def measure(args):
    wrk = Wrk(parse_duration(args.duration), args.connections, args.threads)
    if shutil.which('wrk') is None:
        raise BenchError('wrk is not installed: apt-get install -y wrk '
                         '(make bench does this)')
    workdir = tempfile.mkdtemp(prefix='flasky-bench-')
    run_id = secrets.token_hex(4)
    given_db = os.environ.get('DATABASE_URL')
    database_url = given_db or \
        'sqlite:///' + os.path.join(workdir, 'bench.sqlite')
    storage = os.environ.get('RATELIMIT_STORAGE_URI')
    prefix = f'flasky-bench-{run_id}'
    env = common.site_env(database_url, key_prefix=prefix)
    email = f'bench-{run_id}@example.com'
    username = f'bench_{run_id}'
    site = floor = None
    seeded = False
    try:
        common.deploy(env)
        info = common.seed_user(env, email, username)
        seeded = True
        hash_log = os.path.join(workdir, 'hashes.log')
        open(hash_log, 'w').close()
        env['BENCH_HASH_LOG'] = hash_log
        site = Server('site', 'manage:app', env, workdir,
                      config='bench.hashtimer').start()
        _, cookies = common.login(site.port, email)
        page_bytes = len(common.get(site.port, '/').body)
        floor_env = dict(
            os.environ, FLOOR_PAGE_BYTES=str(page_bytes),
            FLOOR_EMAIL=email, FLOOR_HASH_METHOD=info['hash_method'],
            FLOOR_SECRET_KEY=secrets.token_urlsafe(32),
            BENCH_HASH_LOG=hash_log)
        floor = Server('floor', 'bench.floor:app', floor_env, workdir,
                       config='bench.hashtimer').start()
        floor_bytes = check_pages(site, floor, cookies, username)
        cookie_header = 'Cookie: ' + common.cookie_header(cookies)

        # Untimed: a worker's first login also makes the hash that
        # unknown emails are checked against (app/models.py); and a short
        # run on the floor and each page.
        for server in (site, floor):
            time_logins(server.port, email, 2 * common.WORKERS,
                        info['hash_method'], hash_log)
        warm_up = Wrk(1, wrk.connections, wrk.threads)
        warm_up.run(floor.url())
        for key, label, path, logged_in, _ in PAGES:
            warm_up.run(site.url(path), [cookie_header] if logged_in else [])

        rounds = [{'floor': []} for _ in range(args.repeat)]
        for number, result in enumerate(rounds, 1):
            # Each page between two floor runs: its ratios are to their
            # mean, taken seconds before and after, under the same load.
            before = wrk.run(floor.url(), server=floor)
            result['floor'].append(before)
            for key, label, path, logged_in, _ in PAGES:
                headers = [cookie_header] if logged_in else []
                run = wrk.run(site.url(path), headers, server=site)
                after = wrk.run(floor.url(), server=floor)
                result['floor'].append(after)
                result[key] = dict(run, ratio={
                    m: run[m] / statistics.mean((before[m], after[m]))
                    for m in MEASURES})
                print(f'round {number}: {label} {run["rps"]:.0f} req/s, '
                      f'floor {before["rps"]:.0f} and {after["rps"]:.0f} '
                      'req/s', file=sys.stderr)
                before = after
        for number, result in enumerate(rounds, 1):
            logins, timed, hashes = time_logins(
                site.port, email, args.logins, info['hash_method'],
                hash_log)
            floor_logins, floor_timed, _ = time_logins(
                floor.port, email, args.logins, info['hash_method'],
                hash_log)
            result['login'] = dict(
                median=statistics.median(logins) * 1000,
                p90=percentile(logins, 0.9) * 1000,
                floor_median=statistics.median(floor_logins) * 1000,
                floor_p90=percentile(floor_logins, 0.9) * 1000,
                hash=statistics.median(hashes) * 1000,
                worker_hash=median_ms(timed, 'hash'),
                over=overhead(logins, timed),
                floor_over=overhead(floor_logins, floor_timed),
                before=median_ms(timed, 'before'),
                floor_before=median_ms(floor_timed, 'before'),
                after=median_ms(timed, 'after'),
                floor_after=median_ms(floor_timed, 'after'))
            print(f'round {number}: login {result["login"]["median"]:.1f}'
                  f' ms, hash {result["login"]["hash"]:.1f} ms',
                  file=sys.stderr)
        # Still logged in after all the rounds?
        check_pages(site, floor, cookies, username)
        rss = site.worker_rss_mb()
        floor_rss = floor.worker_rss_mb()
        context = dict(
            args=args, wrk=wrk, site=site, floor=floor,
            page_bytes=page_bytes, floor_bytes=floor_bytes,
            database=info['database'] if given_db
            else info['database'] + ' (a file)',
            hash_method=info['hash_method'],
            storage=storage, workdir=workdir, email=email)
        if storage:
            context['storage_version'] = common.redis_version(storage)
        return summarise(rounds, rss, floor_rss), context
    finally:
        for server in (site, floor):
            if server is not None:
                server.stop()
        if seeded and given_db:
            common.delete_user(env, email)
        if storage:
            common.clear_redis_keys(storage, prefix)
        shutil.rmtree(workdir, ignore_errors=True)


def median_of(rounds, *keys):
    values = []
    for result in rounds:
        value = result
        for key in keys:
            value = value[key]
        values.append(value)
    return statistics.median(values)


def summarise(rounds, rss, floor_rss):
    s = {'rounds': len(rounds), 'pages': {}}
    floor_runs = [run for r in rounds for run in r['floor']]
    s['pages']['floor'] = {
        m: statistics.median(run[m] for run in floor_runs)
        for m in MEASURES}
    s['pages']['floor']['ratio'] = {m: 1.0 for m in MEASURES}
    for name in ('non2xx', 'socket_errors'):
        s['pages']['floor'][name] = sum(run[name] for run in floor_runs)
    for key in [p[0] for p in PAGES]:
        page = {m: median_of(rounds, key, m) for m in MEASURES}
        page['ratio'] = {m: median_of(rounds, key, 'ratio', m)
                         for m in MEASURES}
        for name in ('non2xx', 'socket_errors'):
            page[name] = sum(r[key][name] for r in rounds)
        s['pages'][key] = page
    for key in rounds[0]['login']:
        s['login_' + key] = median_of(rounds, 'login', key)
    s['rss'] = rss
    s['floor_rss'] = floor_rss
    return s


# -- the report ------------------------------------------------------------

def ratio(value, floor):
    return f'{value / floor:.2f}x' if floor else 'n/a'


def report(s, c, argv):
    lines = []
    add = lines.append
    add('| what | requests/s | x floor | p50 ms | x floor | p99 ms '
        '| x floor | worker CPU ms/request | x floor | non-2xx |')
    add('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    labels = [('floor', f'floor: bare Flask, cached template, '
               f'{c["floor_bytes"]} bytes')] + \
        [(p[0], p[1]) for p in PAGES]
    for key, label in labels:
        m = s['pages'][key]
        r = m['ratio']
        non2xx = str(m['non2xx'])
        if m['socket_errors']:
            non2xx += f' ({m["socket_errors"]} socket errors)'
        add(f'| {label} | {m["rps"]:.0f} | {r["rps"]:.2f}x '
            f'| {m["p50"]:.2f} | {r["p50"]:.2f}x '
            f'| {m["p99"]:.2f} | {r["p99"]:.2f}x '
            f'| {m["cpu"]:.3f} | {r["cpu"]:.2f}x | {non2xx} |')
    add('')
    add('| login and memory | measured | x floor |')
    add('|---|---:|---:|')
    add(f'| full login (GET form, POST), median | '
        f'{s["login_median"]:.1f} ms | '
        f'{ratio(s["login_median"], s["login_floor_median"])} |')
    add(f'| full login, p90 | {s["login_p90"]:.1f} ms | '
        f'{ratio(s["login_p90"], s["login_floor_p90"])} |')
    add(f'| floor: a bare Flask login (GET form, POST), median | '
        f'{s["login_floor_median"]:.1f} ms | 1.00x |')
    add(f'| one password hash ({c["hash_method"]}), timed in the '
        f'benchmark\'s process between the logins, median | '
        f'{s["login_hash"]:.1f} ms | |')
    add(f'| the hash a worker made for a login, median | '
        f'{s["login_worker_hash"]:.1f} ms | |')
    add(f'| login minus the hash its worker made for it, median | '
        f'{s["login_over"]:.1f} ms | '
        f'{ratio(s["login_over"], s["login_floor_over"])} |')
    add(f'| the POST in its worker before the hash (form, limits, user '
        f'lookup), median | {s["login_before"]:.1f} ms | '
        f'{ratio(s["login_before"], s["login_floor_before"])} |')
    add(f'| the POST in its worker after the hash (session, headers, '
        f'sending; teardown, once sent), median | '
        f'{s["login_after"]:.1f} ms '
        f'| {ratio(s["login_after"], s["login_floor_after"])} |')
    add(f'| floor: a bare Flask login, minus its hash, median | '
        f'{s["login_floor_over"]:.1f} ms | 1.00x |')
    floor_rss = max(s['floor_rss']) if s['floor_rss'] else 0
    for number, mb in enumerate(s['rss'], 1):
        add(f'| worker {number} resident memory | {mb:.1f} MB | '
            f'{ratio(mb, floor_rss)} |')
    add(f'| floor worker resident memory (largest) | {floor_rss:.1f} MB '
        '| 1.00x |')
    add('')
    add('| target | measured | met |')
    add('|---|---:|:---:|')
    pages = s['pages']
    checks = [
        ('anonymous GET / >= 0.8x floor requests/s',
         pages['anon_index']['ratio']['rps'], 0.8, '>='),
        ('GET /auth/login >= 0.5x floor requests/s',
         pages['login_page']['ratio']['rps'], 0.5, '>='),
        ('login median minus its hash <= 5 ms', s['login_over'], 5.0,
         '<='),
        ('each worker <= 60 MB resident', max(s['rss']), 60.0, '<='),
    ]
    for label, value, limit, op in checks:
        met = value >= limit if op == '>=' else value <= limit
        unit = 'x' if op == '>=' else (' MB' if 'MB' in label else ' ms')
        shown = f'{value:.2f}x' if unit == 'x' else f'{value:.1f}{unit}'
        add(f'| {label} | {shown} | {"yes" if met else "NO"} |')
    table = '\n'.join(lines)
    return table, environment(c, argv)


def environment(c, argv):
    a = c['args']
    versions = [f'Python {platform.python_version()}'] + [
        f'{name} {metadata.version(name)}' for name in PACKAGES]
    lines = [
        '- Date: ' + datetime.datetime.now(datetime.timezone.utc)
        .strftime('%Y-%m-%d %H:%M UTC'),
        f'- CPU: {cpu_model()}, {os.cpu_count()} cores; '
        f'{platform.system()} {platform.release()}',
        f'- Versions: {", ".join(versions)}; {c["wrk"].version()}',
        f'- Database: {c["database"]}; rate-limit counters: '
        + (f'{c["storage_version"]}' if c['storage'] else
           'in each worker\'s memory (RATELIMIT_STORAGE_URI not set)'),
        f'- Password hash: {c["hash_method"]} (Werkzeug defaults)',
        f'- Each figure is the median of {a.repeat} rounds, after an '
        'untimed warm-up. A round runs wrk for '
        f'{c["wrk"].seconds} s on the floor, then on each page in turn '
        'with a floor run after each; a page\'s ratio is to the mean of '
        'the floor runs just before and after it, and the table gives '
        'the median of the rounds\' ratios. Worker CPU is the user and '
        'system time the workers used during a run, per request. After '
        f'the wrk rounds, {a.repeat} rounds of {a.logins} full logins, '
        'one after another, with one password hash timed in the '
        'benchmark\'s own process after each. Each worker times the '
        'hash it makes for a login (bench/hashtimer.py, gunicorn '
        'settings that time hashlib from outside the app), and a '
        'login\'s overhead is its time minus that hash: hashes made in '
        'two processes differ by a few milliseconds. The worker also '
        'times the POST before the hash, from gunicorn handing it the '
        'request, and after it, to the end of the request in the worker '
        '(the app\'s teardown runs after the answer is sent). The same '
        'for the floor\'s bare login (bench/floor.py: a token in the '
        'session, an SQLite lookup, the same hash).',
    ]
    site, floor, wrk = c['site'], c['floor'], c['wrk']
    cmds = [
        '$ ' + ' '.join(argv) + '    # what make bench runs',
        '# the site, with FLASK_CONFIG=production, SECRET_KEY=<random>, '
        'SERVER_NAME=flasky.bench.test, DATABASE_URL='
        + ('<given>' if os.environ.get('DATABASE_URL')
           else 'sqlite:///<temporary directory>/bench.sqlite')
        + (', RATELIMIT_STORAGE_URI=<given>, RATELIMIT_KEY_PREFIX='
           'flasky-bench-<random>' if c['storage'] else '')
        + ', BENCH_HASH_LOG=<temporary directory>/hashes.log',
        'python manage.py deploy',
        'python -m bench.seed create <email> <username> <password>',
        site.command.replace(str(site.port), '<site port>'),
        f'# the floor, with FLOOR_PAGE_BYTES={c["page_bytes"]}, '
        'FLOOR_EMAIL=<email>, FLOOR_HASH_METHOD='
        f'{c["hash_method"]}, FLOOR_SECRET_KEY=<random>, BENCH_HASH_LOG',
        floor.command.replace(str(floor.port), '<floor port>'),
        '# each round',
        wrk.command(floor.url().replace(str(floor.port), '<floor port>')),
    ]
    for key, label, path, logged_in, _ in PAGES:
        headers = ['Cookie: session=<from a login>'] if logged_in else []
        cmds.append(wrk.command(
            site.url(path).replace(str(site.port), '<site port>'), headers))
    return '\n'.join(lines), '\n'.join(cmds)


def document(table, env_lines, commands):
    return f"""# Benchmarks

Written by `make bench` (bench/run.py); run it again to bring this page
up to date. Flasky runs as it would be deployed: gunicorn with
{common.WORKERS} sync workers and the production configuration, in a
virtual environment with requirements.txt only. wrk loads
each page for a fixed time at a fixed concurrency. Beside it, in the same
run and with the same settings, runs the *floor*: a Flask app with no
extensions that renders a cached Jinja template into a page of the same
size as the home page (bench/floor.py). Absolute figures depend on the
machine and on whatever else it is doing; compare the ratios to the
floor across runs and machines. On a busy machine the workers' CPU time
per request is the steadiest of the ratios. Changes made for speed and
memory are listed in changes-from-the-book.md ("Made lighter, or ready
for more servers"). A worker's memory is read after the wrk rounds and
the logins; a worker that has also checked a new password (a
registration, a password change or reset) has loaded zxcvbn's
dictionaries too, about 12 MB more.

{TARGETS_TEXT}

{table}

## How it was measured

{env_lines}

```
{commands}
```
"""


def main(args, argv):
    summary, context = measure(args)
    table, (env_lines, commands) = report(summary, context, argv)
    print(table)
    print()
    print(env_lines)
    if args.output != '-':
        path = os.path.join(common.ROOT, args.output)
        with open(path, 'w') as f:
            f.write(document(table, env_lines, commands))
        print(f'\nwritten to {args.output}')
