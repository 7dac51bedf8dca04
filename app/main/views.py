from flask import make_response, render_template, request
from flask_login import login_required

from .. import moment
from ..caching import shared
from . import main


@main.route('/')
@shared
def index():
    return render_template('index.html')


@main.route('/secret')
@login_required
def secret():
    return render_template('secret.html')


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
