"""The project in a temporary folder of its own, for tests that run the
app as a developer or a web server does: what the app writes beside its
code (instance/secret_key, the SQLite files) goes there, never into the
working tree. The folder holds links to the project's code, so its
commands and servers run the code as it is.

Commands run as `python -m manage ...`: Python would follow a link to a
script back to the working tree, and import the app from there.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

from bench.server import ROOT, clean_environ, free_port, stop_process

LINKED = ('app', 'migrations', 'config.py', 'manage.py', 'flasky.py')
TIMEOUT = 60            # seconds for a command, or for a server to answer


class ScratchSite:

    def __init__(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.path = self._tmp.name
        for name in LINKED:
            os.symlink(os.path.join(ROOT, name),
                       os.path.join(self.path, name))
        self.secret_key_file = os.path.join(self.path, 'instance',
                                            'secret_key')
        self.servers = []

    def environ(self, **settings):
        """A scrubbed environment (bench.server.clean_environ) with
        `settings`; a setting of None is left out."""
        env = clean_environ(PYTHONDONTWRITEBYTECODE='1',
                            FLASK_SKIP_DOTENV='1')
        env.update((k, v) for k, v in settings.items() if v is not None)
        return env

    def run(self, *args, input=None, **settings):
        """`python ARGS` in the folder; the CompletedProcess."""
        return subprocess.run(
            [sys.executable, *args], cwd=self.path, input=input,
            env=self.environ(**settings), capture_output=True, text=True,
            timeout=TIMEOUT)

    def start(self, *args, **settings):
        """Start a server, `python ARGS`, with `settings` added to its
        environment; '{port}' in either is a free port. Returns (process,
        port) once the port takes connections, or the process has ended.
        """
        port = free_port()
        log = tempfile.TemporaryFile(mode='w+')
        settings = {k: v.format(port=port) for k, v in settings.items()}
        process = subprocess.Popen(
            [sys.executable, *(a.format(port=port) for a in args)],
            cwd=self.path, env=self.environ(**settings), stdout=log,
            stderr=subprocess.STDOUT)
        process.log = log
        self.servers.append(process)
        deadline = time.monotonic() + TIMEOUT
        while process.poll() is None and time.monotonic() < deadline:
            try:
                socket.create_connection(('127.0.0.1', port), 1).close()
                return process, port
            except OSError:
                time.sleep(0.1)
        return process, port

    def stop(self, process):
        stop_process(process)

    @staticmethod
    def log(process):
        process.log.flush()
        process.log.seek(0)
        return process.log.read()

    def close(self):
        for process in self.servers:
            stop_process(process)
            process.log.close()
        self._tmp.cleanup()
