import math
import time

from flask import render_template

from .. import db, limiter
from . import main


def wait_in_words(seconds):
    """A wait, rounded up: 'a second', '40 seconds', '5 minutes', '2 hours'.
    """
    seconds = max(1, math.ceil(seconds))
    if seconds < 60:
        count, unit = seconds, 'second'
    elif seconds <= 90 * 60:
        count, unit = math.ceil(seconds / 60), 'minute'
    else:
        count, unit = math.ceil(seconds / 3600), 'hour'
    return f'a {unit}' if count == 1 else f'{count} {unit}s'


@main.app_errorhandler(404)
def page_not_found(e):
    return render_template('404.html'), 404


@main.app_errorhandler(429)
def too_many_requests(e):
    # The limit Flask-Limiter found exceeded. Its Retry-After header
    # gives the same wait in seconds, worked out the same way.
    wait = None
    if limiter.current_limit is not None:
        wait = wait_in_words(
            int(limiter.current_limit.reset_at - time.time()))
    return render_template('429.html', wait=wait), 429


@main.app_errorhandler(500)
def internal_server_error(e):
    # Whatever failed may have left the session in a broken transaction.
    db.session.rollback()
    return render_template('500.html'), 500
