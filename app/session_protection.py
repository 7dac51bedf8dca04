"""Flask-Login's 'strong' session protection, for logged-in sessions only.

Flask-Login 0.6.3 checks every session that holds anything, so a visitor
whose session holds only a form's CSRF token has it rewritten, with the
remember cookie, on every request (Flask-Login issue 569); and a login from
the remember cookie is taken for a stolen session on the next request
(issue 685). Remove this module once both are fixed upstream.
"""
import flask_login
from flask import session


class LoginManager(flask_login.LoginManager):

    def _session_protection_failed(self):
        if '_user_id' not in session and '_id' not in session:
            return False  # nobody has logged in with this session
        return super()._session_protection_failed()


@flask_login.user_loaded_from_cookie.connect
def bind_remembered_session(app, user):
    # The session the cookie starts is a login, not yet fresh: login_user()
    # binds it to this visitor, which Flask-Login leaves out here.
    flask_login.login_user(user, fresh=False)
