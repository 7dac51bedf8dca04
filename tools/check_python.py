"""Stop with one line if this Python is too old for Flasky.

`make run` and `make test` run it with $(PYTHON) before they make the
virtual environment: an old Python would otherwise fail later, in pip or
at a SyntaxError, with a message that does not say why. It is written to
run on old Pythons (no f-strings), so that they get the message too.

    python3 tools/check_python.py [VERSION]

VERSION (such as 3.9.18) is checked instead of this Python's, for the
tests. The exit status is 1 if the version is too old.
"""
from __future__ import print_function

import sys

MINIMUM = (3, 11)


def problem(version, executable):
    """The message for a `version` (a tuple of ints) too old; else None."""
    if tuple(version[:2]) >= MINIMUM:
        return None
    return 'Flasky needs Python {0} or newer; this is {1} at {2}'.format(
        '.'.join(str(n) for n in MINIMUM),
        '.'.join(str(n) for n in version), executable)


def main(argv):
    if len(argv) > 1:
        version = tuple(int(n) for n in argv[1].split('.'))
    else:
        version = tuple(sys.version_info[:3])
    message = problem(version, sys.executable)
    if message:
        print(message, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
