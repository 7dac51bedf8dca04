"""SMTP servers that fail, for the tests of failing mail.

Each listens on 127.0.0.1 on a free port and is stopped by `stop()` (or
by leaving its `with` block).
"""
import socket
import threading

from tests.support import MailSink


class RefusingMailSink(MailSink):
    """An SMTP server that answers, then refuses every recipient."""

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        return '550 5.1.1 Mailbox unavailable'


class StallingSMTPServer:
    """A server that accepts connections and never completes a reply.

    'silent': says nothing at all, so the client's read times out.
    'trickle': sends a continuation line of the greeting ("220-...")
    every `interval` seconds, so that no single read ever times out and
    only a deadline on the whole sending ends the wait.
    """

    def __init__(self, mode='silent', interval=0.2):
        assert mode in ('silent', 'trickle')
        self.mode = mode
        self.interval = interval
        self.stopped = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._clients = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:     # the accept timed out, or the socket closed
                continue
            self.connections += 1
            self._clients.append(conn)
            if self.mode == 'trickle':
                threading.Thread(target=self._trickle, args=(conn,),
                                 daemon=True).start()

    def _trickle(self, conn):
        try:
            while not self.stopped.wait(self.interval):
                conn.sendall(b'220-still getting ready\r\n')
        except OSError:
            pass

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.stopped.set()
        self._thread.join(5)
        for conn in self._clients:
            conn.close()
        self.sock.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
