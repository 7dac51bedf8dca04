"""Failing mail: the SMTP server is down, refuses, or never answers.

The account or the request is kept, the page says the email could not be
sent and what to do, the failure is logged, and no request waits longer
than MAIL_TIMEOUT for the SMTP server. The reset request, which anyone
may make for any address, is the exception: it answers the same, at
once, whether the address has an account and the email went or not, and
only the log tells of a failure.
"""
import threading
import time
from types import SimpleNamespace

from app.email import send_email
from tests.faults import RefusingMailSink, StallingSMTPServer
from tests.messages import (
    CONFIRM_RESENT, CONFIRM_SENT, CONFIRM_SUBJECT, CONFIRMATION_NOT_SENT,
    CONFIRMATION_NOT_SENT_AFTER_REGISTER, CONFIRMED, EMAIL_CHANGE_NOT_SENT,
    EMAIL_CHANGE_SENT, EMAIL_CHANGE_SUBJECT, RESET_SENT, RESET_SUBJECT)
from tests.support import (PASSWORD, FlaskyTestCase, MailSink, csrf_token,
                           flashes, free_port, link_in)

USER = SimpleNamespace(username='john')
TIMEOUT = 0.5           # MAIL_TIMEOUT of these tests, in seconds
SLACK = 3              # what a slow machine may add to it, in seconds


class FailingMailTestCase(FlaskyTestCase):
    config = {'MAIL_TIMEOUT': TIMEOUT, 'RATELIMIT_ENABLED': False}

    def send_mail_to(self, port):
        """From now on the app's SMTP server is the one at `port`."""
        self.app.config['MAIL_PORT'] = port
        self.app.extensions['mail'].port = port

    def server_down(self):
        """Mail goes to a port on which nothing listens."""
        self.send_mail_to(free_port())

    def server_refusing(self):
        sink = RefusingMailSink()
        sink.start()
        self.addCleanup(sink.stop)
        self.send_mail_to(sink.port)
        return sink

    def server_stalling(self, mode='silent', **kwargs):
        server = StallingSMTPServer(mode, **kwargs).start()
        self.addCleanup(server.stop)
        self.send_mail_to(server.port)
        return server

    def assertLoggedFailure(self, logs, subject, to):
        messages = [r.getMessage() for r in logs.records]
        self.assertTrue(
            any(subject in m and to in m for m in messages),
            f'no logged failure for {subject!r} to {to}: {messages}')

    def timed(self, action):
        start = time.monotonic()
        result = action()
        return result, time.monotonic() - start


class RegisterTestCase(FailingMailTestCase):

    def assertAccountKept(self, response):
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.request.path, '/auth/login')
        self.assertEqual(flashes(self.page(response)),
                         [CONFIRMATION_NOT_SENT_AFTER_REGISTER])
        user = self.get_user('john@example.com')
        self.assertIsNotNone(user, 'the account was lost')
        self.assertFalse(user.confirmed)

    def test_server_down_keeps_account_then_resend_works(self):
        # A server on a port of its own, not started yet.
        sink = MailSink()
        self.addCleanup(sink.stop)
        self.send_mail_to(sink.port)
        with self.assertLogs(self.app.logger, 'ERROR') as logs:
            response = self.register()
        self.assertAccountKept(response)
        self.assertLoggedFailure(logs, CONFIRM_SUBJECT, 'john@example.com')
        self.assertIsInstance(logs.records[0].exc_info[1],
                              ConnectionRefusedError)

        # The server comes back; the person logs in and asks again.
        sink.start()
        response = self.login()
        self.assertEqual(response.request.path, '/auth/unconfirmed')
        response = self.resend_confirmation()
        self.assertIn(CONFIRM_RESENT, flashes(self.page(response)))
        [msg] = sink.wait_for(1)
        self.assertEqual(msg['To'], 'john@example.com')
        response = self.client.get(link_in(msg), follow_redirects=True)
        self.assertIn(CONFIRMED, flashes(self.page(response)))
        self.assertTrue(self.get_user('john@example.com').confirmed)

    def test_recipient_refused_keeps_account(self):
        sink = self.server_refusing()
        with self.assertLogs(self.app.logger, 'ERROR') as logs:
            response = self.register()
        self.assertAccountKept(response)
        self.assertLoggedFailure(logs, CONFIRM_SUBJECT, 'john@example.com')
        self.assertEqual(sink.messages, [])

    def test_silent_server_answers_within_the_timeout(self):
        server = self.server_stalling('silent')
        with self.assertLogs(self.app.logger, 'ERROR') as logs:
            response, elapsed = self.timed(self.register)
        self.assertEqual(server.connections, 1)
        self.assertLess(elapsed, TIMEOUT + SLACK)
        self.assertAccountKept(response)
        self.assertLoggedFailure(logs, CONFIRM_SUBJECT, 'john@example.com')

    def test_trickling_server_is_cut_off_by_the_deadline(self):
        # Every read gets a line in time, so only the deadline on the
        # whole sending stops the wait.
        server = self.server_stalling('trickle', interval=TIMEOUT / 5)
        with self.assertLogs(self.app.logger, 'ERROR') as logs:
            response, elapsed = self.timed(self.register)
            self.assertLess(elapsed, TIMEOUT + SLACK)
            self.assertAccountKept(response)
            self.assertIn('no answer from the SMTP server within',
                          logs.records[0].getMessage())
            # The thread left behind ends, and says so, once the server
            # hangs up.
            server.stop()
            deadline = time.monotonic() + 10
            while len(logs.records) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        self.assertEqual(len(logs.records), 2)
        self.assertIn('Could not send email', logs.records[1].getMessage())

    def test_working_server_success_message_unchanged(self):
        response = self.register()
        self.assertEqual(flashes(self.page(response)), [CONFIRM_SENT])
        self.mail.wait_for(1)


class AsyncRegisterTestCase(FailingMailTestCase):
    """As in production: emails go in a background thread."""
    config = dict(FailingMailTestCase.config, FLASKY_MAIL_ASYNC=True)

    def test_success_is_reported_after_the_server_took_it(self):
        response = self.register()
        self.assertEqual(flashes(self.page(response)), [CONFIRM_SENT])
        # The page was answered after the server took the message.
        self.assertEqual(len(self.mail.messages), 1)

    def test_silent_server_answers_within_the_timeout(self):
        self.server_stalling('silent')
        with self.assertLogs(self.app.logger, 'ERROR'):
            response, elapsed = self.timed(self.register)
            self.assertLess(elapsed, TIMEOUT + SLACK)
            self.assertEqual(flashes(self.page(response)),
                             [CONFIRMATION_NOT_SENT_AFTER_REGISTER])
            # Let the sending thread log its end inside this block.
            time.sleep(TIMEOUT)
        self.assertIsNotNone(self.get_user('john@example.com'))


class OtherEmailsTestCase(FailingMailTestCase):

    def test_resend_refused_says_so(self):
        self.add_user(confirmed=False)
        self.login()
        self.server_refusing()
        with self.assertLogs(self.app.logger, 'ERROR') as logs:
            response = self.resend_confirmation()
        self.assertEqual(response.request.path, '/auth/unconfirmed')
        self.assertEqual(flashes(self.page(response)),
                         [CONFIRMATION_NOT_SENT])
        self.assertLoggedFailure(logs, CONFIRM_SUBJECT, 'john@example.com')

    def test_reset_request_with_server_down_answers_as_ever(self):
        # Saying the email failed would say the address has an account.
        self.add_user()
        self.server_down()
        with self.assertLogs(self.app.logger, 'ERROR') as logs:
            response = self.submit('/auth/reset',
                                   dict(email='john@example.com'))
        self.assertEqual(response.request.path, '/auth/login')
        self.assertEqual(flashes(self.page(response)), [RESET_SENT])
        self.assertLoggedFailure(logs, RESET_SUBJECT, 'john@example.com')

    def test_reset_request_for_unknown_address_sends_nothing(self):
        self.server_down()
        with self.assertNoLogs(self.app.logger, 'ERROR'):
            response = self.submit('/auth/reset',
                                   dict(email='nobody@example.com'))
        self.assertEqual(flashes(self.page(response)), [RESET_SENT])

    def test_change_email_request_with_server_down_says_so(self):
        self.add_user()
        self.login()
        self.server_down()
        with self.assertLogs(self.app.logger, 'ERROR') as logs:
            response = self.submit('/auth/change_email', dict(
                email='new@example.com', password=PASSWORD))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.request.path, '/auth/change_email')
        self.assertEqual(flashes(self.page(response)),
                         [EMAIL_CHANGE_NOT_SENT])
        self.assertLoggedFailure(logs, EMAIL_CHANGE_SUBJECT, 'new@example.com')
        self.assertEqual(self.get_user('john@example.com').email,
                         'john@example.com')

    def test_change_email_request_success_message_unchanged(self):
        self.add_user()
        self.login()
        response = self.submit('/auth/change_email', dict(
            email='new@example.com', password=PASSWORD))
        self.assertEqual(flashes(self.page(response)), [EMAIL_CHANGE_SENT])
        self.assertEqual(self.mail.wait_for(1)[0]['To'], 'new@example.com')


class ResetRequestTimingTestCase(FailingMailTestCase):
    """As in production, emails in the background, and a mail server that
    never answers: known and unknown addresses get the same answer, and
    neither waits for the server."""
    config = dict(FailingMailTestCase.config, FLASKY_MAIL_ASYNC=True,
                  MAIL_TIMEOUT=3)

    def request_reset(self, email):
        """The answer to a reset request, followed, and how long the POST
        took."""
        client = self.app.test_client()
        page = client.get('/auth/reset')
        data = dict(email=email, csrf_token=csrf_token(self.page(page)))
        response, elapsed = self.timed(
            lambda: client.post('/auth/reset', data=data))
        location = response.headers.get('Location')
        page = client.get(location) if location else response
        return (response.status_code, location,
                flashes(self.page(page))), elapsed

    def test_known_and_unknown_addresses_get_the_same_answer_at_once(self):
        self.add_user()
        server = self.server_stalling('silent')
        with self.assertLogs(self.app.logger, 'ERROR') as logs:
            known, known_time = self.request_reset('john@example.com')
            unknown, unknown_time = self.request_reset('nobody@example.com')
            self.assertEqual(known, (302, '/auth/login', [RESET_SENT]))
            self.assertEqual(unknown, known)
            for elapsed in (known_time, unknown_time):
                self.assertLess(elapsed, 1, 'the answer waited for mail')
            # The email to the account went on in the background, and
            # its failure is logged.
            deadline = time.monotonic() + 3 + SLACK
            while not logs.records and time.monotonic() < deadline:
                time.sleep(0.05)
        self.assertLoggedFailure(logs, RESET_SUBJECT, 'john@example.com')
        self.assertEqual(server.connections, 1)


class SMTPTimeoutTestCase(FailingMailTestCase):
    """The SMTP connection itself times out: send_email (which waits for
    no deadline when sending is synchronous) returns."""

    def test_send_email_to_silent_server_returns(self):
        outcome = {}

        def send():
            with self.app.test_request_context():
                outcome['thread'] = send_email(
                    'john@example.com', CONFIRM_SUBJECT,
                    'auth/email/confirm', user=USER, token='t')

        self.server_stalling('silent')
        with self.assertLogs(self.app.logger, 'ERROR') as logs:
            caller = threading.Thread(target=send, daemon=True)
            start = time.monotonic()
            caller.start()
            caller.join(TIMEOUT + SLACK + 5)
            elapsed = time.monotonic() - start
        self.assertFalse(caller.is_alive(), 'send_email is still waiting')
        self.assertLess(elapsed, TIMEOUT + SLACK)
        self.assertIs(outcome['thread'].sent, False)
        # smtplib reports the timed-out read as a lost connection.
        self.assertIn('timed out', str(logs.records[0].exc_info[1]))
