"""python -m bench [--shared] [-d SECONDS] [-c CONNECTIONS] ..."""
import argparse
import sys

from .common import BenchError


def parse(argv):
    parser = argparse.ArgumentParser(
        prog='python -m bench',
        description='Measure Flasky under gunicorn beside a bare Flask '
        'floor (default), or check that two servers share sessions and '
        'rate limits (--shared).')
    parser.add_argument('--shared', action='store_true',
                        help='two servers on one PostgreSQL (DATABASE_URL) '
                        'and one Redis (RATELIMIT_STORAGE_URI)')
    parser.add_argument('-d', '--duration', default='10s',
                        help='how long wrk loads each page per round '
                        '(default 10s)')
    parser.add_argument('-c', '--connections', type=int, default=8,
                        help='wrk connections (default 8)')
    parser.add_argument('-t', '--threads', type=int, default=1,
                        help='wrk threads (default 1)')
    parser.add_argument('-r', '--repeat', type=int, default=3,
                        help='rounds; the report gives medians (default 3)')
    parser.add_argument('-l', '--logins', type=int, default=20,
                        help='full logins timed per round (default 20)')
    parser.add_argument('-o', '--output', default='docs/benchmarks.md',
                        help="where to write the report ('-': nowhere)")
    return parser.parse_args(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    try:
        if args.shared:
            from . import shared
            sys.exit(shared.main(args))
        from . import run
        run.main(args, ['python -m bench'] + argv)
    except BenchError as exc:
        sys.exit(f'bench: {exc}')


if __name__ == '__main__':
    main()
