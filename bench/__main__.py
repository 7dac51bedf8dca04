"""python -m bench [-d SECONDS] [-c CONNECTIONS] [-r ROUNDS] [-l LOGINS]
python -m bench --soak [-d SECONDS] [-c CONNECTIONS]

Flasky under gunicorn as deployed, loaded by wrk page by page, each page
followed by the floor (bench/floor.py) with the same settings; prints the
medians of the rounds as one Markdown table. --soak: wrk over a mix of
pages; fails on errors, unexpected statuses or memory growth.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from statistics import median

from .server import ROOT, Browser, Gunicorn

EMAIL, USERNAME = 'bench@example.com', 'bench'
PASSWORD = 'correct horse battery staple'
# Flask-Login's session protection ties a session to the User-Agent it
# was made with: wrk sends the one the login was made with.
USER_AGENT = 'flasky-bench'
# (label, path, logged in, text the page must show)
PAGES = [('GET / (anonymous)', '/', False, 'Hello, Stranger!'),
         ('GET /auth/login', '/auth/login', False, 'name="csrf_token"'),
         ('GET / (logged in)', '/', True, f'Hello, {USERNAME}!'),
         ('GET /secret (logged in)', '/secret', True, f'as {USERNAME}.')]
# The soak's mix: /secret (anonymous) and the bad token redirect, and
# /no-such-page is the 404 page; any other status is a failure.
SOAK_PATHS = ['/', '/auth/login', '/auth/register', '/auth/reset',
              '/secret', '/auth/reset/not-a-token', '/no-such-page',
              '/static/vendor/bootstrap/css/bootstrap.min.css',
              '/flask-moment.js']
SOAK_STATUSES = {200, 302, 404}


def wrk(server, paths, seconds, connections, cookie=None):
    """wrk on `paths` of `server` in turn; what bench/wrk.lua prints."""
    argv = ['wrk', '-t', '1', '-c', str(connections), '-d', f'{seconds}s',
            '--timeout', '10s', '-s', os.path.join(ROOT, 'bench', 'wrk.lua'),
            '-H', f'User-Agent: {USER_AGENT}']
    if cookie:
        argv += ['-H', f'Cookie: {cookie}']
    result = subprocess.run(argv + [f'http://{server.host}/', *paths],
                            capture_output=True, text=True, check=True,
                            timeout=seconds + 60)
    return json.loads(result.stdout.splitlines()[-1])


def requests_per_second(server, path, seconds, connections, cookie=None):
    run = wrk(server, [path], seconds, connections, cookie)
    if run['socket_errors'] or set(run['statuses']) != {'200'}:
        sys.exit(f'bench: {path} answered {run}')
    return run['requests'] / run['seconds']


def login_ms(server, count):
    """The median of `count` full logins (the form, then the POST)."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        response = Browser(server.port).login(EMAIL, PASSWORD)
        times.append((time.perf_counter() - start) * 1000)
        if response.status != 302:
            sys.exit(f'bench: a login answered {response.status}')
    return median(times)


def bench(site, floor, args):
    user = Browser(site.port, user_agent=USER_AGENT)
    user.login(EMAIL, PASSWORD)
    cookie = user.cookie_header()
    for label, path, logged_in, text in PAGES:
        page = (user if logged_in else Browser(site.port)).get(path)
        if page.status != 200 or text not in page.text:
            sys.exit(f'bench: {label} answered {page.status}, not {text}')
        # Untimed: a worker's first requests load code and fill caches.
        wrk(site, [path], 1, args.connections, cookie if logged_in else None)
    wrk(floor, ['/'], 1, args.connections)
    login_ms(site, 4)
    login_ms(floor, 4)

    # label -> the site's requests/s of each round, and the floor's
    figures = {label: ([], []) for label, path, logged_in, text in PAGES}
    site_logins, floor_logins = [], []
    for number in range(1, args.rounds + 1):
        for label, path, logged_in, text in PAGES:
            site_rps, floor_rps = figures[label]
            site_rps.append(requests_per_second(
                site, path, args.duration, args.connections,
                cookie if logged_in else None))
            floor_rps.append(requests_per_second(
                floor, '/', args.duration, args.connections))
            print(f'round {number}: {label}: {site_rps[-1]:.0f} req/s, '
                  f'floor {floor_rps[-1]:.0f}', file=sys.stderr)
        site_logins.append(login_ms(site, args.logins))
        floor_logins.append(login_ms(floor, args.logins))

    print('| page | site req/s | floor req/s | ratio |')
    print('|---|---:|---:|---:|')
    for label, (site_rps, floor_rps) in figures.items():
        row(label, median(site_rps), median(floor_rps), 0)
    row('full login (form + POST), median ms', median(site_logins),
        median(floor_logins), 1)
    row('worker resident memory, largest MB', max(site.worker_rss_mb()),
        max(floor.worker_rss_mb()), 1)


def row(label, site, floor, digits):
    print(f'| {label} | {site:.{digits}f} | {floor:.{digits}f} '
          f'| {site / floor:.2f} |')


def soak(server, args):
    wrk(server, SOAK_PATHS, 5, args.connections)
    start_mb = sum(server.worker_rss_mb())
    run = wrk(server, SOAK_PATHS, args.duration, args.connections)
    end_mb = sum(server.worker_rss_mb())
    growth = end_mb / start_mb - 1
    statuses = {int(status): n for status, n in run['statuses'].items()}
    print(f'{run["requests"]} requests in {run["seconds"]:.0f} s at '
          f'{args.connections} connections; statuses: '
          + ', '.join(f'{k}: {n}' for k, n in sorted(statuses.items())))
    print(f'latency p50 {run["p50_ms"]:.1f} ms, p99 {run["p99_ms"]:.1f} '
          f'ms; socket errors: {run["socket_errors"]}')
    print(f"workers' memory: {start_mb:.1f} MB after a 5 s warm-up, "
          f'{end_mb:.1f} MB at the end ({growth:+.0%})')
    failures = []
    if run['socket_errors']:
        failures.append('socket errors')
    if set(statuses) - SOAK_STATUSES:
        failures.append('unexpected statuses')
    if growth > 0.2:
        failures.append('memory grew by more than 20 %')
    if 'Traceback' in server.log():
        print(server.log()[-5000:])
        failures.append('a Traceback in the server log')
    if failures:
        sys.exit('soak: FAILED: ' + ', '.join(failures))
    print('soak: passed')


def seconds(text):
    return int(text.removesuffix('s'))


def main():
    parser = argparse.ArgumentParser(prog='python -m bench')
    parser.add_argument('--soak', action='store_true')
    parser.add_argument('-d', '--duration', type=seconds,
                        help='seconds of wrk per page (10) or soak (60)')
    parser.add_argument('-c', '--connections', type=int,
                        help='wrk connections (8; soak: 50)')
    parser.add_argument('-r', '--rounds', type=int, default=3)
    parser.add_argument('-l', '--logins', type=int, default=20,
                        help='full logins timed per round')
    args = parser.parse_args()
    if args.soak:
        args.duration = args.duration or 60
        args.connections = args.connections or 50
    else:
        args.duration = args.duration or 10
        args.connections = args.connections or 8
    with tempfile.TemporaryDirectory() as tmp:
        site = Gunicorn('sqlite:///' + os.path.join(tmp, 'bench.sqlite'))
        site.deploy().add_user(EMAIL, USERNAME, PASSWORD)
        with site:
            if args.soak:
                return soak(site, args)
            page_bytes = len(Browser(site.port).get('/').body)
            with Gunicorn(site.env['DATABASE_URL'], app='bench.floor:app',
                          FLOOR_PAGE_BYTES=str(page_bytes), FLOOR_EMAIL=EMAIL,
                          FLOOR_PASSWORD=PASSWORD) as floor:
                bench(site, floor, args)


if __name__ == '__main__':
    main()
