import contextlib
from threading import Thread

from flask import current_app, render_template
from flask_mail import Message

from . import mail


def send_async_email(app, msg):
    with app.app_context():
        try:
            mail.send(msg)
        except Exception:
            app.logger.exception(
                'Could not send email %r to %s', msg.subject,
                ', '.join(msg.recipients))


def log_email(app, msg):
    """Write the message to the log, for development without SMTP."""
    app.logger.info(
        'No MAIL_SERVER is set, so this email was not sent:\n'
        'To: %s\nSubject: %s\n\n%s', ', '.join(msg.recipients), msg.subject,
        msg.body)


def site_request_context(app):
    """Where SERVER_NAME names the site, emailed links are built from it
    and PREFERRED_URL_SCHEME, not from the Host header of the request
    that caused the email."""
    if not app.config.get('SERVER_NAME'):
        return contextlib.nullcontext()
    return app.test_request_context(base_url='{}://{}'.format(
        app.config['PREFERRED_URL_SCHEME'], app.config['SERVER_NAME']))


def send_email(to, subject, template, **kwargs):
    app = current_app._get_current_object()
    msg = Message(app.config['FLASKY_MAIL_SUBJECT_PREFIX'] + ' ' + subject,
                  sender=app.config['FLASKY_MAIL_SENDER'], recipients=[to])
    with site_request_context(app):
        msg.body = render_template(template + '.txt', **kwargs)
        msg.html = render_template(template + '.html', **kwargs)
    if not app.config['MAIL_SERVER']:
        log_email(app, msg)
        return None
    thr = Thread(target=send_async_email, args=[app, msg])
    thr.start()
    if not app.config['FLASKY_MAIL_ASYNC']:
        thr.join()
    return thr
