"""The runner behind `python manage.py test`.

Serially, it is unittest's TextTestRunner. In parallel (the default when
no test names are given) the tests are cut into units, and worker
processes (`manage.py test --worker`) take the units one at a time from a
queue until none is left:

- a test class with class fixtures (setUpClass, tearDownClass, a class
  cleanup: a server, an SMTP sink) is one unit, run by one worker;
- a module with module fixtures (setUpModule, tearDownModule) is one unit;
- any other test is a unit of its own.

Every worker loads the same tests the same way and sends the list and
its units first; a unit is then sent as the positions of its tests in
that list. A worker answers each unit with one
line of JSON on the pipe it got as stdout (what the tests print goes to
stderr): the unit's verbose output, its failures and errors in full, and
its counts. The parent prints each unit's output when it is done, then
every failure and error, and the summary line of the serial run.

The units go longest first, as the last parallel runs timed them
(tmp/test-durations.json, or the file FLASKY_TEST_DURATIONS names), so
that no long unit is left to run alone at the end; units not timed yet
go first.

On PostgreSQL each worker gets a database of its own, created on the
server of TEST_DATABASE_URL and dropped at the end (tests/scratchdb.py):
the database TEST_DATABASE_URL names is not used by a parallel run.
"""
import contextlib
import io
import json
import os
import queue
import subprocess
import sys
import threading
import time
import unittest
import warnings

from unittest.runner import _WritelnDecorator

SEPARATOR = '-' * 70


def load(names, top_level_dir):
    loader = unittest.TestLoader()
    if names:
        return loader.loadTestsFromNames(names)
    return loader.discover('tests', top_level_dir=top_level_dir)


def flatten(suite):
    """The tests of a suite, in the order a serial run would run them."""
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from flatten(test)
        else:
            yield test


def failed_ids(result):
    """The tests that failed: a test with several failing subtests is one
    failed test."""
    return ({getattr(test, 'test_case', test).id() for test, _ in
             result.failures + result.errors} |
            {test.id() for test in result.unexpectedSuccesses})


def summary(run, failed, skipped):
    """The last line: `N passed, N failed[, N skipped]`."""
    line = f'{run - failed - skipped} passed, {failed} failed'
    if skipped:
        line += f', {skipped} skipped'
    return line


def run_serial(names, top_level_dir):
    """Run the tests in this process; (exit status, summary line)."""
    result = unittest.TextTestRunner(verbosity=2).run(
        load(names, top_level_dir))
    line = summary(result.testsRun, len(failed_ids(result)),
                   len(result.skipped))
    return 0 if not failed_ids(result) and result.testsRun > 0 else 1, line


# -- units ---------------------------------------------------------------

def _own(cls, name):
    """Whether `cls` sets up or tears down something for the class."""
    return getattr(cls, name).__func__ is not \
        getattr(unittest.TestCase, name).__func__


def has_class_fixtures(cls):
    return (_own(cls, 'setUpClass') or _own(cls, 'tearDownClass')
            or _own(cls, 'doClassCleanups'))


def has_module_fixtures(module_name):
    module = sys.modules.get(module_name)
    return any(hasattr(module, name)
               for name in ('setUpModule', 'tearDownModule'))


def units(tests):
    """Lists of positions in `tests`, each run by one worker in order."""
    groups = {}
    for index, test in enumerate(tests):
        cls = type(test)
        if has_module_fixtures(cls.__module__):
            key = ('module', cls.__module__)
        elif has_class_fixtures(cls):
            key = ('class', cls.__module__, cls.__qualname__)
        else:
            key = ('test', index)
        groups.setdefault(key, []).append(index)
    return list(groups.values())


# -- a worker --------------------------------------------------------------

def run_worker(names, top_level_dir):
    """Run the units read from stdin; answer each on the original stdout."""
    answers = os.fdopen(os.dup(1), 'w', encoding='utf-8')
    os.dup2(2, 1)
    tests = list(flatten(load(names, top_level_dir)))
    # First line: the tests loaded and the units, for the parent.
    answers.write(json.dumps(dict(
        ids=[test.id() for test in tests], units=units(tests))) + '\n')
    answers.flush()
    with warnings.catch_warnings():
        if not sys.warnoptions:
            # As TextTestRunner does when no -W option is given.
            warnings.simplefilter('default')
        for line in sys.stdin:
            answers.write(json.dumps(run_unit(
                [tests[i] for i in json.loads(line)])) + '\n')
            answers.flush()


def run_unit(tests):
    output = io.StringIO()
    result = unittest.TextTestResult(_WritelnDecorator(output), True, 2)
    start = time.perf_counter()
    result.startTestRun()
    try:
        unittest.TestSuite(tests).run(result)
    finally:
        result.stopTestRun()
    seconds = time.perf_counter() - start
    errors = io.StringIO()
    result.stream = _WritelnDecorator(errors)
    result.printErrors()
    return dict(
        ids=[test.id() for test in tests],
        output=output.getvalue(), errors=errors.getvalue().strip('\n'),
        run=result.testsRun, failed=sorted(failed_ids(result)),
        skipped=len(result.skipped), failures=len(result.failures),
        error_count=len(result.errors),
        expected_failures=len(result.expectedFailures),
        unexpected_successes=len(result.unexpectedSuccesses),
        seconds=seconds)


# -- the parent --------------------------------------------------------------

@contextlib.contextmanager
def worker_databases(jobs):
    """TEST_DATABASE_URL for each worker: the same one on SQLite (each
    worker has its own in-memory database or file set-up), a scratch
    database of its own on PostgreSQL."""
    from tests import scratchdb
    if scratchdb.postgresql_url() is None:
        yield [os.environ.get('TEST_DATABASE_URL')] * jobs
        return
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(scratchdb.scratch_database(f'w{n}'))[0]
               for n in range(1, jobs + 1)]


def worker_command(manage_py, names):
    return [sys.executable, *[f'-W{option}' for option in sys.warnoptions],
            manage_py, 'test', '--worker', *names]


def durations_path(top_level_dir):
    """FLASKY_TEST_DURATIONS if set (empty: keep no timings), else
    tmp/test-durations.json."""
    path = os.environ.get('FLASKY_TEST_DURATIONS')
    if path is None:
        path = os.path.join(top_level_dir, 'tmp', 'test-durations.json')
    return path


def read_durations(top_level_dir):
    """{test id: seconds} of the last parallel runs, or {}."""
    path = durations_path(top_level_dir)
    if not path:
        return {}
    try:
        with open(path, encoding='utf-8') as f:
            durations = json.load(f)
        return durations if isinstance(durations, dict) else {}
    except (OSError, ValueError):
        return {}


def write_durations(top_level_dir, durations):
    path = durations_path(top_level_dir)
    if not path:
        return
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + '.new', 'w', encoding='utf-8') as f:
            json.dump(durations, f, indent=0, sort_keys=True)
        os.replace(path + '.new', path)
    except OSError:
        pass


def by_duration(all_units, ids, durations):
    """The units, longest first (as the last runs timed them), so that no
    long one is left to run alone at the end. Units not timed yet go
    first; ties keep the loading order."""
    def cost(unit):
        seconds = [durations.get(ids[i]) for i in unit]
        if None in seconds:
            return float('inf')
        return sum(seconds)
    return sorted(all_units, key=cost, reverse=True)


def run_parallel(names, jobs, manage_py, top_level_dir):
    """Run the tests in `jobs` worker processes; (exit status, summary)."""
    answers = []
    print_lock = threading.Lock()

    def drive(worker):
        while True:
            try:
                unit = todo.get_nowait()
            except queue.Empty:
                break
            try:
                worker.stdin.write(json.dumps(unit) + '\n')
                worker.stdin.flush()
                line = worker.stdout.readline()
            except OSError:
                line = ''
            if not line:
                answers.append(lost(unit, ids, worker))
                return
            answer = json.loads(line)
            answers.append(answer)
            with print_lock:
                sys.stdout.write(answer['output'])
                sys.stdout.flush()
        worker.stdin.close()

    todo = queue.Queue()
    start = time.perf_counter()
    with worker_databases(jobs) as urls:
        workers = []
        try:
            for url in urls:
                env = dict(os.environ)
                if url is not None:
                    env['TEST_DATABASE_URL'] = url
                workers.append(subprocess.Popen(
                    worker_command(manage_py, names), env=env,
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    text=True, encoding='utf-8'))
            # What the workers loaded: the same tests, or none runs.
            loaded = [json.loads(worker.stdout.readline() or 'null')
                      for worker in workers]
            if None in loaded or any(one != loaded[0] for one in loaded):
                # Counted as one failed test; the workers' errors are
                # above, on stderr.
                loaded = [dict(ids=['loading the tests in the workers'],
                               units=[[0]])]
                for worker in workers:
                    worker.kill()
            ids = loaded[0]['ids']
            durations = read_durations(top_level_dir)
            if not names:
                # A run of the whole suite: forget tests gone since.
                durations = {test_id: durations[test_id]
                             for test_id in ids if test_id in durations}
            for unit in by_duration(loaded[0]['units'], ids, durations):
                todo.put(unit)
            threads = [threading.Thread(target=drive, args=(worker,),
                                        daemon=True)
                       for worker in workers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        except BaseException:
            # Interrupted: stop the workers before their databases go.
            for worker in workers:
                worker.kill()
            raise
        finally:
            for worker in workers:
                worker.wait()
    seconds = time.perf_counter() - start

    # Units no worker was left to run.
    while not todo.empty():
        answers.append(lost(todo.get_nowait(), ids, None))
    # A unit's time, shared out among its tests, for the next run's order.
    for answer in answers:
        if answer.get('ids'):
            for test_id in answer['ids']:
                durations[test_id] = round(
                    answer['seconds'] / len(answer['ids']), 3)
    write_durations(top_level_dir, durations)
    return report(answers, seconds)


def lost(unit, all_ids, worker):
    """The answer for a unit whose worker died: each test failed."""
    how = 'no worker was left to run them' if worker is None else \
        f'the worker (pid {worker.pid}) died, exit status {worker.wait()}'
    ids = [all_ids[i] for i in unit]
    return dict(
        output='', errors='\n'.join(
            ['=' * 70, f'ERROR: {len(ids)} test(s): {how}', SEPARATOR,
             *ids]),
        run=len(ids), failed=ids, skipped=0, failures=0,
        error_count=len(ids), expected_failures=0, unexpected_successes=0,
        seconds=0)


def report(answers, seconds):
    """Print the failures and errors and the totals as a serial run does."""
    def total(key):
        return sum(answer[key] for answer in answers)

    errors = [answer['errors'] for answer in answers if answer['errors']]
    if errors:
        print()
        print('\n\n'.join(errors))
        print()
    run = total('run')
    print(SEPARATOR)
    print(f'Ran {run} test{"" if run == 1 else "s"} in {seconds:.3f}s')
    print()
    infos = []
    failed = set()
    for answer in answers:
        failed.update(answer['failed'])
    for key, name in (('failures', 'failures'), ('error_count', 'errors'),
                      ('skipped', 'skipped'),
                      ('expected_failures', 'expected failures'),
                      ('unexpected_successes', 'unexpected successes')):
        if total(key):
            infos.append(f'{name}={total(key)}')
    status = 'OK' if not failed and run > 0 else 'FAILED'
    print(f'{status} ({", ".join(infos)})' if infos else status)
    return (0 if not failed and run > 0 else 1,
            summary(run, len(failed), total('skipped')))
