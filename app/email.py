import contextlib
from threading import Thread

from flask import current_app, flash, has_request_context, render_template
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_mail import Message

from . import mail

# Frames an email written to the console, so that it stands out from
# the request lines around it.
CONSOLE_RULE = '=' * 72


def send_async_email(app, msg):
    """Send `msg`; True if the SMTP server took it. A failure is logged.
    """
    with app.app_context():
        try:
            mail.send(msg)
        except Exception:
            app.logger.exception(
                'Could not send email %r to %s', msg.subject,
                ', '.join(msg.recipients))
            return False
        return True


class EmailThread(Thread):
    """The thread that sends one message; `sent` tells how it went."""

    def __init__(self, app, msg):
        super().__init__()
        self.app = app
        self.msg = msg
        self.sent = None    # not known yet

    def run(self):
        self.sent = send_async_email(self.app, self.msg)


def log_email(app, msg):
    """Write the message to the log, for development without SMTP: one
    block between two rules, the link on a line of its own."""
    app.logger.info(
        'No MAIL_SERVER is set, so this email was not sent:\n%s\n'
        'To: %s\nSubject: %s\n\n%s\n%s', CONSOLE_RULE,
        ', '.join(msg.recipients), msg.subject, msg.body.strip(),
        CONSOLE_RULE)


def site_request_context(app):
    """Where SERVER_NAME names the site, emailed links are built from it
    and PREFERRED_URL_SCHEME, not from the Host header of the request
    that caused the email."""
    if not app.config.get('SERVER_NAME'):
        return contextlib.nullcontext()
    return app.test_request_context(base_url='{}://{}'.format(
        app.config['PREFERRED_URL_SCHEME'], app.config['SERVER_NAME']))


def email_locale(user):
    """The language of an email to `user`: the one the user chose, else
    the page's (the person who asked for it), else English."""
    locale = getattr(user, 'locale', None)
    if locale is None and has_request_context():
        locale = get_locale()
    return locale or 'en'


def make_message(app, to, subject, template, **kwargs):
    """The message, subject and both parts in the recipient's language.
    `subject` may be a lazy string (lazy_gettext)."""
    locale = email_locale(kwargs.get('user'))
    # The locale is forced inside the site's request context, which would
    # otherwise choose its own (English: it has no Accept-Language).
    with site_request_context(app), force_locale(locale):
        msg = Message(app.config['FLASKY_MAIL_SUBJECT_PREFIX'] + ' '
                      + str(subject),
                      sender=app.config['FLASKY_MAIL_SENDER'],
                      recipients=[to])
        msg.body = render_template(template + '.txt', **kwargs)
        msg.html = render_template(template + '.html', **kwargs)
    return msg


def start_email(app, to, subject, template, **kwargs):
    """Render the message and start its sending thread; None where, with
    no MAIL_SERVER, the message is only logged."""
    msg = make_message(app, to, subject, template, **kwargs)
    if not app.config['MAIL_SERVER']:
        log_email(app, msg)
        if app.debug and has_request_context():
            # The page that says "check your inbox" says where it is.
            flash(_('No MAIL_SERVER is set: the email was printed in the '
                    'console where the server runs, not sent.'), 'info')
        return None
    thr = EmailThread(app, msg)
    thr.start()
    return thr


def send_email(to, subject, template, **kwargs):
    app = current_app._get_current_object()
    thr = start_email(app, to, subject, template, **kwargs)
    if thr is not None and not app.config['FLASKY_MAIL_ASYNC']:
        thr.join()
    return thr


def send_email_and_wait(to, subject, template, **kwargs):
    """Send as send_email does, and wait for the SMTP server's answer, at
    most MAIL_TIMEOUT seconds, whether sending is asynchronous or not.

    True if the message was sent (or, with no MAIL_SERVER, logged);
    False if the server refused it, could not be reached or did not
    finish in time, so that the page can say the email did not go. The
    failure is logged. A thread still talking to a slow server when the
    time is up is left to finish (each step of the conversation has the
    same timeout) and logs how it ended.
    """
    app = current_app._get_current_object()
    thr = start_email(app, to, subject, template, **kwargs)
    if thr is None:
        return True
    thr.join(app.config['MAIL_TIMEOUT'])
    if thr.sent is None:
        app.logger.error(
            'Could not send email %r to %s: no answer from the SMTP server '
            'within %s seconds', thr.msg.subject, to,
            app.config['MAIL_TIMEOUT'])
        return False
    return thr.sent
