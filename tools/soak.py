#!/usr/bin/env python
"""Sustained load: `make soak`.

Serves the app as deployed (gunicorn, the production configuration, a
database made by `manage.py deploy`) on 127.0.0.1 and runs wrk against
it: a warm-up, then SOAK_SECONDS (60) at SOAK_CONNECTIONS (50) over a
mix of pages (tools/soak.lua). Prints the requests served, the errors,
the latency and the server's resident memory (master and workers) at
the start and the end of the measured run.

Fails on any socket error, any 5xx or other unexpected status, or memory
that grew by more than SOAK_MAX_GROWTH (20 %) over the run.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.server import Server  # noqa: E402

SECONDS = int(os.environ.get('SOAK_SECONDS', '60'))
CONNECTIONS = int(os.environ.get('SOAK_CONNECTIONS', '50'))
WARM_UP = int(os.environ.get('SOAK_WARM_UP', '5'))
MAX_GROWTH = float(os.environ.get('SOAK_MAX_GROWTH', '0.20'))
WORKERS, THREADS = 2, 4
# What the mix is answered with; anything else is an error.
EXPECTED = {200, 302, 404}


def wrk(server, seconds):
    result = subprocess.run(
        ['wrk', '--threads', '2', '--connections', str(CONNECTIONS),
         '--duration', f'{seconds}s', '--timeout', '10s',
         '--script', os.path.join(ROOT, 'tools', 'soak.lua'),
         f'http://{server.host}/'],
        capture_output=True, text=True, timeout=seconds + 120)
    match = re.search(r'^soak-result (\{.*\})$', result.stdout, re.M)
    if result.returncode != 0 or match is None:
        sys.exit('wrk failed:\n' + result.stdout + result.stderr)
    return json.loads(match.group(1))


def mib(kib):
    return f'{kib / 1024:.1f} MiB'


def main():
    if shutil.which('wrk') is None:
        sys.exit('wrk is not installed (Debian: apt-get install wrk)')
    with tempfile.TemporaryDirectory() as tmp:
        url = 'sqlite:///' + os.path.join(tmp, 'soak.sqlite')
        server = Server(url, workers=WORKERS, threads=THREADS)
        try:
            server.deploy()
            server.start()
            print(f'soak: gunicorn ({WORKERS} workers x {THREADS} threads, '
                  f'production configuration, SQLite) on {server.host}')
            wrk(server, WARM_UP)
            rss_start = server.rss_kib()
            print(f'soak: RSS at start: {mib(rss_start)} (after a '
                  f'{WARM_UP} s warm-up)')
            print(f'soak: wrk, {SECONDS} s at {CONNECTIONS} connections')
            r = wrk(server, SECONDS)
            rss_end = server.rss_kib()
            log = server.log()
        finally:
            server.close()
    statuses = {int(k): v for k, v in r['statuses'].items()}
    socket_errors = r['connect'] + r['read'] + r['write'] + r['timeout']
    server_errors = sum(v for k, v in statuses.items() if k >= 500)
    unexpected = sum(v for k, v in statuses.items() if k not in EXPECTED)
    growth = (rss_end - rss_start) / rss_start
    print(f"soak: requests served: {r['requests']} in {r['seconds']:.1f} s "
          f"({r['requests'] / r['seconds']:.0f}/s)")
    print('soak: statuses: ' + ', '.join(
        f'{k}: {v}' for k, v in sorted(statuses.items())))
    print(f"soak: latency p50 {r['latency_p50_ms']:.1f} ms, "
          f"p99 {r['latency_p99_ms']:.1f} ms, "
          f"max {r['latency_max_ms']:.1f} ms")
    print(f'soak: socket errors: {socket_errors} (connect {r["connect"]}, '
          f'read {r["read"]}, write {r["write"]}, '
          f'timeout {r["timeout"]})')
    print(f'soak: 5xx: {server_errors}; other unexpected statuses: '
          f'{unexpected - server_errors}')
    print(f'soak: RSS at end: {mib(rss_end)} ({growth:+.1%})')
    logged = 'Traceback' in log or 'Exception on' in log
    print(f'soak: errors in the server log: {"yes" if logged else "none"}')
    failures = []
    if socket_errors:
        failures.append('socket errors')
    if unexpected:
        failures.append('unexpected statuses (5xx or other)')
    if growth > MAX_GROWTH:
        failures.append(f'memory grew by more than {MAX_GROWTH:.0%}')
    if logged:
        failures.append('errors in the server log')
    if failures:
        if logged:
            print(log[-5000:])
        sys.exit('soak: FAILED: ' + ', '.join(failures))
    print('soak: passed')


if __name__ == '__main__':
    main()
