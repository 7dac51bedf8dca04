"""Flask-Mail with a timeout on the SMTP connection.

Flask-Mail 0.10 opens `smtplib.SMTP(server, port)` with no timeout, so an
SMTP server that accepts the connection and never answers holds the
sending thread (and a request waiting for it) for ever. This Mail gives
every socket operation of the connection MAIL_TIMEOUT seconds.
"""
import smtplib

import flask_mail
from flask import current_app


class Connection(flask_mail.Connection):

    def configure_host(self):
        timeout = current_app.config['MAIL_TIMEOUT']
        if self.mail.use_ssl:
            host = smtplib.SMTP_SSL(self.mail.server, self.mail.port,
                                    timeout=timeout)
        else:
            host = smtplib.SMTP(self.mail.server, self.mail.port,
                                timeout=timeout)
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


class Mail(flask_mail.Mail):

    def connect(self):
        return Connection(current_app.extensions['mail'])
