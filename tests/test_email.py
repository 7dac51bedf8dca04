"""app.email.send_email: SMTP, async, failures, console mode, templates."""
import logging
import threading
import unittest
from types import SimpleNamespace

from flask import render_template

from app import create_app
from app.email import send_email
from config import DevelopmentConfig, TestingConfig
from tests.messages import CONFIRM_SUBJECT, SUBJECT_PREFIX
from tests.support import (MailSinkTestCase, free_port, html_part,
                           text_part)

TOKEN = 'eyJjb25maXJtIjoxfQ.aBcDeF.sIgNaTuRe-_0123'
USER = SimpleNamespace(username='john')
# Each email template, and the path its link must point to.
EMAIL_TEMPLATES = [
    ('auth/email/confirm', '/auth/confirm/'),
    ('auth/email/reset_password', '/auth/reset/'),
    ('auth/email/change_email', '/auth/change_email/'),
]


class SendEmailTestCase(MailSinkTestCase):

    def make_app(self, base=TestingConfig, **settings):
        """An app whose config is `base` with `settings` on top.

        Mail goes to the sink unless `settings` say otherwise.
        """
        settings = {'MAIL_SERVER': '127.0.0.1', 'MAIL_PORT': self.mail.port,
                    'MAIL_USE_TLS': False, **settings}
        return create_app(type('EmailTestConfig', (base,), settings))

    def send_confirmation(self, app, to='john@example.com'):
        with app.test_request_context():
            return send_email(to, CONFIRM_SUBJECT, 'auth/email/confirm',
                              user=USER, token=TOKEN)

    def test_sent_over_smtp_in_testing_config(self):
        app = self.make_app()
        self.assertTrue(app.config['TESTING'])
        self.send_confirmation(app)
        msg = self.mail.wait_for(1)[0]
        self.assertEqual(msg['To'], 'john@example.com')
        self.assertEqual(msg['Subject'], SUBJECT_PREFIX + CONFIRM_SUBJECT)

    def test_synchronous_mode_sends_before_returning(self):
        app = self.make_app(FLASKY_MAIL_ASYNC=False)
        self.send_confirmation(app)
        self.assertEqual(len(self.mail.messages), 1)

    def test_async_mode_returns_a_thread_that_sends(self):
        app = self.make_app(FLASKY_MAIL_ASYNC=True)
        thread = self.send_confirmation(app)
        self.assertIsInstance(thread, threading.Thread)
        thread.join(10)
        self.assertFalse(thread.is_alive())
        messages = self.mail.wait_for(1, timeout=0)
        self.assertEqual(messages[0]['To'], 'john@example.com')

    def test_smtp_server_down_logs_error_and_does_not_raise(self):
        app = self.make_app(MAIL_PORT=free_port(), FLASKY_MAIL_ASYNC=False)
        with self.assertLogs(app.logger, 'ERROR') as logs:
            self.send_confirmation(app, to='susan@example.org')
        self.assertEqual(len(logs.records), 1)
        record = logs.records[0]
        self.assertEqual(record.levelname, 'ERROR')
        self.assertIn(SUBJECT_PREFIX + CONFIRM_SUBJECT, record.getMessage())
        self.assertIn('susan@example.org', record.getMessage())
        self.assertIsNotNone(record.exc_info, 'no traceback logged')

    def test_each_template_sent_with_both_parts(self):
        app = self.make_app()
        for template, path in EMAIL_TEMPLATES:
            with self.subTest(template=template):
                self.mail.clear()
                with app.test_request_context():
                    send_email('john@example.com', 'Subject', template,
                               user=USER, token=TOKEN)
                msg = self.mail.wait_for(1)[0]
                link = f'http://localhost{path}{TOKEN}'
                self.assertIn(link, text_part(msg))
                self.assertIn(f'href="{link}"', html_part(msg))

    def test_smtp_server_down_in_async_mode_logs_error(self):
        app = self.make_app(MAIL_PORT=free_port(), FLASKY_MAIL_ASYNC=True)
        with self.assertLogs(app.logger, 'ERROR') as logs:
            thread = self.send_confirmation(app, to='susan@example.org')
            thread.join(10)
        message = logs.records[0].getMessage()
        self.assertIn(SUBJECT_PREFIX + CONFIRM_SUBJECT, message)
        self.assertIn('susan@example.org', message)


class ConsoleEmailTestCase(MailSinkTestCase):
    """Development with no MAIL_SERVER: emails go to the log."""

    def setUp(self):
        super().setUp()
        # The sink's port is set, so that an email wrongly sent over SMTP
        # would arrive there; sending is synchronous, so it would have
        # arrived by the time send_email returns.
        config_class = type('ConsoleConfig', (DevelopmentConfig,), dict(
            SQLALCHEMY_DATABASE_URI='sqlite://', MAIL_SERVER=None,
            MAIL_PORT=self.mail.port, MAIL_USE_TLS=False,
            FLASKY_MAIL_ASYNC=False))
        self.app = create_app(config_class)
        self.mail.clear()

    def send(self):
        with self.app.test_request_context():
            return send_email('john@example.com', CONFIRM_SUBJECT,
                              'auth/email/confirm', user=USER, token=TOKEN)

    def test_email_is_logged_at_info(self):
        with self.assertLogs(self.app.logger, 'INFO') as logs:
            self.send()
        self.assertEqual(len(logs.records), 1)
        self.assertEqual(logs.records[0].levelname, 'INFO')
        message = logs.records[0].getMessage()
        self.assertIn('john@example.com', message)
        self.assertIn(SUBJECT_PREFIX + CONFIRM_SUBJECT, message)
        self.assertIn('Welcome to Flasky!', message)
        self.assertIn(f'http://localhost/auth/confirm/{TOKEN}', message)

    def test_development_logger_shows_info(self):
        self.assertTrue(self.app.logger.isEnabledFor(logging.INFO))

    def test_nothing_is_sent(self):
        with self.assertLogs(self.app.logger, 'INFO'):
            self.send()
        self.assertEqual(self.mail.messages, [])

    def test_returns_no_thread(self):
        with self.assertLogs(self.app.logger, 'INFO'):
            self.assertIsNone(self.send())


class EmailTemplatesTestCase(unittest.TestCase):
    """Each email template: a text and an HTML part with the same link."""

    def setUp(self):
        self.app = create_app('testing')

    def render(self, template, ext):
        with self.app.test_request_context():
            return render_template(f'{template}.{ext}', user=USER,
                                   token=TOKEN)

    def test_text_part_has_absolute_link(self):
        for template, path in EMAIL_TEMPLATES:
            with self.subTest(template=template):
                text = self.render(template, 'txt')
                self.assertIn(f'http://localhost{path}{TOKEN}\n', text)
                self.assertIn('Dear john,', text)

    def test_html_part_has_absolute_link(self):
        for template, path in EMAIL_TEMPLATES:
            with self.subTest(template=template):
                html = self.render(template, 'html')
                self.assertIn(f'href="http://localhost{path}{TOKEN}"', html)
                self.assertIn('Dear john,', html)


if __name__ == '__main__':
    unittest.main()
