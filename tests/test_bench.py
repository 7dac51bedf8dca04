"""The benchmark's login timing: the hash each login makes is timed in the
gunicorn worker that made it (bench/hashtimer.py), and `make bench` sets
each login's time beside that hash (bench/run.py)."""
import os
import shutil
import tempfile
import unittest

from bench import run
from bench.common import BenchError, Server

EMAIL = 'floor@example.com'


class WorkerHashTimingTestCase(unittest.TestCase):
    def serve_floor(self, method, config='bench.hashtimer'):
        """The floor under gunicorn, with one worker."""
        workdir = tempfile.mkdtemp(prefix='flasky-test-bench-')
        self.addCleanup(shutil.rmtree, workdir, ignore_errors=True)
        log = os.path.join(workdir, 'hashes.log')
        open(log, 'w').close()
        env = dict(os.environ, FLOOR_EMAIL=EMAIL, FLOOR_HASH_METHOD=method,
                   BENCH_HASH_LOG=log)
        server = Server('floor', 'bench.floor:app', env, workdir,
                        workers=1, config=config)
        self.addCleanup(server.stop)
        return server.start(), log

    def test_each_login_is_set_beside_its_own_hash(self):
        # Werkzeug's two methods call hashlib.pbkdf2_hmac and
        # hashlib.scrypt. The hash is most of a login's time.
        for method in ('pbkdf2:sha256:200000', 'scrypt'):
            with self.subTest(method=method):
                server, log = self.serve_floor(method)
                logins, timed, hashes = run.time_logins(
                    server.port, EMAIL, 3, method, log)
                self.assertEqual(len(logins), 3)
                self.assertEqual(len(hashes), 3)
                for login, t in zip(logins, timed):
                    self.assertGreater(t['hash'], login / 2)
                    self.assertGreater(t['before'], 0)
                    self.assertGreater(t['after'], 0)
                    # The answer cannot go out before the hash ends; the
                    # teardown in `after` runs once it has gone.
                    self.assertLess(t['before'] + t['hash'], login)
                self.assertGreater(run.overhead(logins, timed), 0)

    def test_a_worker_that_times_nothing_stops_the_benchmark(self):
        server, log = self.serve_floor('scrypt', config=None)
        with self.assertRaisesRegex(BenchError, 'made no hash'):
            run.time_logins(server.port, EMAIL, 1, 'scrypt', log)
