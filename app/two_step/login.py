"""The half-done login: the password was right, the code is still to come.

It lives in the session only, for LOGIN_SECONDS: the user's id, "Keep me
logged in", the page to go to next, and when it started. The login view
(app/auth/views.py) hands over to it in two lines.
"""
from flask import redirect, session, url_for

from .. import db
from . import models

SESSION_KEY = 'two_step_login'
# Time enough to open the app and type a code.
LOGIN_SECONDS = 5 * 60


def required(user):
    """True if `user`, whose password was right, must give a code too."""
    return models.TwoStep.enabled_for(user)


def start(user, remember, next):
    """Begin the second step of `user`'s login: the response to send."""
    # A rehashed password (password_matches) is kept before we leave.
    db.session.commit()
    # Nothing from before the login carries over, as in finish_login.
    session.clear()
    session[SESSION_KEY] = {'user_id': user.id, 'remember': bool(remember),
                            'next': next, 'started': models.clock()}
    return redirect(url_for('two_step.verify'))


def pending():
    """The session's half-done login while it is fresh, else None."""
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict) \
            or not isinstance(data.get('user_id'), int) \
            or not isinstance(data.get('started'), (int, float)):
        return None
    if not 0 <= models.clock() - data['started'] < LOGIN_SECONDS:
        return None
    return data
