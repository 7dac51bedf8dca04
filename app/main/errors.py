import math
import time

import sqlalchemy as sa
from flask import current_app, g, render_template
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from .. import db, limiter
from . import main


def wait_in_words(seconds):
    """A wait, rounded up: 'a second', '40 seconds', '5 minutes', '2 hours'.
    """
    seconds = max(1, math.ceil(seconds))
    if seconds < 60:
        return ngettext('a second', '%(num)d seconds', seconds)
    if seconds <= 90 * 60:
        return ngettext('a minute', '%(num)d minutes',
                        math.ceil(seconds / 60))
    return ngettext('an hour', '%(num)d hours', math.ceil(seconds / 3600))


@main.app_errorhandler(404)
def page_not_found(e):
    return render_template('404.html'), 404


# Bodies refused before any view runs (app/forms_only.py): the page's
# title, and what the visitor is told, in the page's language.
REFUSED_BODIES = {
    411: (_l('Length Required'), _l("This site's forms take a body whose "
                                    'length is given, as a browser sends '
                                    'it.')),
    413: (_l('Request Too Large'), _l('What you sent is larger than any '
                                      'form of this site takes.')),
    415: (_l('Unsupported Media Type'), _l("This site's forms take form "
                                           'data only, as a browser sends '
                                           'it.')),
}


@main.app_errorhandler(411)
@main.app_errorhandler(413)
@main.app_errorhandler(415)
def body_refused(e):
    title, explanation = REFUSED_BODIES[e.code]
    return render_template('body_refused.html', title=title,
                           explanation=explanation), e.code


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
    # Flask has logged the error itself; with the database down, the
    # rollback and the user's lookup fail too, and the page must still
    # be shown.
    try:
        db.session.rollback()
        current_user.is_authenticated  # looks the user up
    except sa.exc.SQLAlchemyError:
        current_app.logger.warning(
            'The database is unavailable; the error page is shown as '
            'to a visitor who is not logged in.')
        g.database_unavailable = True  # the user loader reads it
    return render_template('500.html'), 500
