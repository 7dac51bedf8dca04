"""Flask-Mail with a timeout on the SMTP connection, sending only to ASCII
addresses.

Flask-Mail 0.10 opens `smtplib.SMTP(server, port)` with no timeout, so an
SMTP server that accepts the connection and never answers holds the
sending thread (and a request waiting for it) for ever. This Mail gives
every socket operation of the connection MAIL_TIMEOUT seconds, and
refuses a recipient Flask-Mail would re-encode.
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

    def send(self, message, envelope_from=None):
        # Flask-Mail would encode a Unicode domain with IDNA 2003, which
        # names another domain for some (faß.de becomes fass.de). Every
        # stored address is ASCII (canonical_email): no other is sent to.
        for address in message.send_to:
            if not str(address).isascii():
                raise ValueError(f'not an ASCII address: {address!r}')
        super().send(message, envelope_from)


class Mail(flask_mail.Mail):

    def connect(self):
        return Connection(current_app.extensions['mail'])
