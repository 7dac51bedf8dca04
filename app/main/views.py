from flask import (current_app, make_response, redirect, render_template,
                   request, url_for)
from flask_login import current_user, login_required

from .. import db, moment
from ..auth.views import safe_next
from ..caching import shared
from ..i18n import COOKIE, LANGUAGES
from . import main


@main.route('/')
@shared
def index():
    return render_template('index.html')


@main.route('/secret')
@login_required
def secret():
    return render_template('secret.html')


@main.route('/favicon.ico')
def favicon():
    """Browsers ask for /favicon.ico where a document has no <link
    rel="icon">, such as a script opened by itself."""
    return current_app.send_static_file('favicon.ico')


@main.route('/language', methods=['POST'])
def set_language():
    """The navbar's language switcher: a cookie for the visitor and, for a
    logged-in user, the account's choice, which emails follow too.

    It takes no CSRF token, so that the cached home page can carry the
    switcher: the worst a forged post can do is change the language, and
    the session cookie (SameSite=Lax) does not come with one.
    """
    locale = request.form.get('locale')
    response = redirect(safe_next(request.form.get('next'))
                        or url_for('main.index'))
    if locale not in LANGUAGES:
        return response
    if current_user.is_authenticated:
        current_user.locale = locale
        db.session.commit()
    response.set_cookie(
        COOKIE, locale, max_age=365 * 24 * 3600, httponly=True,
        samesite='Lax', secure=current_app.config['SESSION_COOKIE_SECURE'])
    return response


@main.route('/flask-moment.js')
def moment_js():
    """Flask-Moment's support code as a script of this site.

    `moment.include_moment()` puts this code in an inline <script>, which
    the Content-Security-Policy refuses; base.html loads it from here.
    """
    response = make_response(moment.flask_moment_js())
    response.mimetype = 'text/javascript'
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    response.add_etag()
    return response.make_conditional(request)
