"""Nothing tells an outsider which addresses have accounts: the reset
request answers the same, in the same time, for any address, on gunicorn
with the production configuration and a mail server that never answers.
(The register and change-email probes meet a 429: test_throttling.py.)
"""
import time

from bench.server import Browser, Gunicorn
from config import TestingConfig
from tests.faults import StallingSMTPServer
from tests.messages import RESET_SENT, RESET_SUBJECT
from tests.support import ServerTestCase, flashes

MAIL_TIMEOUT = 3        # seconds: what a request waiting for mail would take


class ResetRequestTestCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.add_user('john@example.com', 'john')
        cls.smtp = StallingSMTPServer('silent').start()
        cls.addClassCleanup(cls.smtp.stop)
        # Not in cls.servers: this one is meant to log failed mail.
        cls.server = Gunicorn(
            cls.database_url, workers=1, MAIL_SERVER='127.0.0.1',
            MAIL_PORT=str(cls.smtp.port), MAIL_USE_TLS='false',
            MAIL_TIMEOUT=str(MAIL_TIMEOUT),
            FLASKY_PASSWORD_HASH_METHOD=TestingConfig
            .FLASKY_PASSWORD_HASH_METHOD)
        cls.addClassCleanup(cls.server.close)
        cls.server.start()

    def request_reset(self, email):
        """What a visitor sees after asking, and how long the POST took."""
        visitor = Browser(self.server.port)
        token = visitor.form('/auth/reset')
        start = time.monotonic()
        response = visitor.post('/auth/reset', dict(email=email,
                                                     csrf_token=token))
        elapsed = time.monotonic() - start
        follow = visitor.get(response.headers['Location'] or '/')
        return (response.status, response.headers['Location'],
                flashes(follow.text)), elapsed

    def test_known_and_unknown_addresses_get_the_same_answer_at_once(self):
        known, known_time = self.request_reset('john@example.com')
        unknown, unknown_time = self.request_reset('nobody@example.com')
        self.assertEqual(known, (302, '/auth/login', [RESET_SENT]))
        self.assertEqual(unknown, known)
        for elapsed in (known_time, unknown_time):
            self.assertLess(elapsed, MAIL_TIMEOUT / 2,
                            'the answer waited for the mail server')
        # The email went on in the background, and its failure is logged.
        deadline = time.monotonic() + MAIL_TIMEOUT + 10
        logged = f"Could not send email '[Flasky] {RESET_SUBJECT}'"
        while logged not in self.server.log() and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertIn(logged, self.server.log())
        self.assertEqual(self.smtp.connections, 1)
