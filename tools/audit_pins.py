#!/usr/bin/env python
"""Audit the pins of requirements.txt and requirements-dev.txt with
pip-audit: `make audit`.

Exit status 0 when no pinned release has a known vulnerability, 1 when
one has (or when the audit could not be done). pip-audit asks PyPI's
JSON API for the advisories, then OSV's. Where neither can be reached
(a registry mirror without the JSON API answers "not found" for every
package), nothing has been audited: that fails too, unless
--allow-unreachable is given (CI, whose machines reach no advisory
service), when it is said loudly and the exit status is 0.
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REQUIREMENTS = 'requirements-dev.txt'    # includes requirements.txt
SERVICES = ('pypi', 'osv')
NOT_FOUND = 'Dependency not found on PyPI'
UNREACHABLE_SIGNS = ('ConnectionError', 'Max retries exceeded',
                     'NameResolutionError', 'timed out', 'ConnectTimeout')

OK, VULNERABLE, UNREACHABLE, FAILED = 'ok', 'vulnerable', 'unreachable', \
    'failed'


def verdict(returncode, stdout, stderr):
    """(OK | VULNERABLE | UNREACHABLE | FAILED, lines to print) for one
    pip-audit run with --format json."""
    try:
        report = json.loads(stdout)
    except ValueError:
        if any(sign in stderr for sign in UNREACHABLE_SIGNS):
            return UNREACHABLE, ['the advisory service could not be '
                                 'reached']
        return FAILED, ['pip-audit failed:', stderr.strip()[-2000:]]
    deps = report.get('dependencies', [])
    found = [f"{d['name']} {d['version']}: {v['id']} "
             f"(fixed in {', '.join(v.get('fix_versions') or ['-'])})"
             for d in deps for v in d.get('vulns', [])]
    if found:
        return VULNERABLE, found
    skipped = [d for d in deps if 'skip_reason' in d]
    if deps and len(skipped) == len(deps) and all(
            NOT_FOUND in d['skip_reason'] for d in skipped):
        return UNREACHABLE, ['the advisory service answered "not found" '
                             'for every package']
    if skipped:
        return FAILED, ['not audited: ' + d['skip_reason'] for d in skipped]
    if returncode != 0 or not deps:
        return FAILED, ['pip-audit failed:', stderr.strip()[-2000:]]
    return OK, [f'{len(deps)} pinned releases, no known vulnerability']


def audit(service):
    result = subprocess.run(
        [sys.executable, '-m', 'pip_audit', '--requirement', REQUIREMENTS,
         '--no-deps', '--disable-pip', '--format', 'json',
         '--progress-spinner', 'off', '--vulnerability-service', service],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    return verdict(result.returncode, result.stdout, result.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--allow-unreachable', action='store_true',
                        help='pass when no advisory service can be '
                        'reached (say so, audit nothing)')
    args = parser.parse_args()
    for service in SERVICES:
        outcome, lines = audit(service)
        for line in lines:
            print(f'pip-audit ({service}): {line}')
        if outcome == OK:
            return 0
        if outcome != UNREACHABLE:
            return 1
    if args.allow_unreachable:
        print('pip-audit: NO ADVISORY SERVICE COULD BE REACHED: the pins '
              'were not audited here. Run `make audit` where the PyPI JSON '
              'API or OSV can be reached.')
        return 0
    return 1


if __name__ == '__main__':
    sys.exit(main())
