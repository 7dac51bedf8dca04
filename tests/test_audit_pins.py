"""tools/audit_pins.py: which pip-audit outcomes pass, and which fail."""
import importlib.util
import json
import os
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = importlib.util.spec_from_file_location(
    'audit_pins', os.path.join(ROOT, 'tools', 'audit_pins.py'))
audit_pins = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit_pins)

FLASK = {'name': 'flask', 'version': '3.1.3', 'vulns': []}
NOT_FOUND = {'name': 'flask', 'skip_reason': 'Dependency not found on PyPI '
             'and could not be audited: flask (3.1.3)'}


def report(*deps):
    return json.dumps({'dependencies': list(deps), 'fixes': []})


class VerdictTestCase(unittest.TestCase):

    def outcome(self, returncode, stdout, stderr=''):
        return audit_pins.verdict(returncode, stdout, stderr)[0]

    def test_clean_report_passes(self):
        self.assertEqual(self.outcome(0, report(FLASK)), audit_pins.OK)

    def test_a_vulnerability_fails(self):
        vulnerable = dict(FLASK, vulns=[
            {'id': 'PYSEC-0000-1', 'fix_versions': ['3.1.4']}])
        outcome, lines = audit_pins.verdict(1, report(FLASK, vulnerable), '')
        self.assertEqual(outcome, audit_pins.VULNERABLE)
        self.assertEqual(lines, ['flask 3.1.3: PYSEC-0000-1 (fixed in 3.1.4)'])

    def test_every_package_not_found_is_unreachable(self):
        self.assertEqual(self.outcome(0, report(NOT_FOUND, NOT_FOUND)),
                         audit_pins.UNREACHABLE)

    def test_some_packages_not_found_fails(self):
        self.assertEqual(self.outcome(0, report(FLASK, NOT_FOUND)),
                         audit_pins.FAILED)

    def test_connection_error_is_unreachable(self):
        self.assertEqual(
            self.outcome(1, '', 'requests.exceptions.ConnectionError: '
                         'Max retries exceeded with url: /v1/query'),
            audit_pins.UNREACHABLE)

    def test_other_error_fails(self):
        self.assertEqual(self.outcome(1, '', 'ValueError: bad requirement'),
                         audit_pins.FAILED)

    def test_empty_report_fails(self):
        self.assertEqual(self.outcome(0, report()), audit_pins.FAILED)
