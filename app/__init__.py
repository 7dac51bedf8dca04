from flask import Flask, session
from flask_bootstrap import Bootstrap
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, user_loaded_from_cookie
from flask_moment import Moment
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

from config import ConfigError, config
from . import vendor
from .cache import PageCache
from .smtp import Mail

bootstrap = Bootstrap()
mail = Mail()
moment = Moment()
db = SQLAlchemy()
# Limits are set on the views; the settings are in config.py.
limiter = Limiter(key_func=get_remote_address)
# Flask-Limiter's settings for limits on every request (none here).
APP_WIDE_LIMITS = ('RATELIMIT_DEFAULT', 'RATELIMIT_APPLICATION',
                   'RATELIMIT_META')


class FlaskyLoginManager(LoginManager):
    """Flask-Login's LoginManager, with 'strong' session protection for
    the sessions someone has logged in with only.

    Flask-Login checks every session that holds anything, and a visitor
    who has opened a form has a session holding its CSRF token: it takes
    that session for a stolen one and rewrites it, with the remember
    cookie, on every request (Flask-Login issue 569). A stylesheet or the
    favicon still loading when a login answered then brought the session
    from before the login back, logging the visitor out.
    """

    def _session_protection_failed(self):
        if '_user_id' not in session and '_id' not in session:
            return False  # nobody has logged in with this session
        return super()._session_protection_failed()


login_manager = FlaskyLoginManager()
login_manager.session_protection = 'strong'
login_manager.login_view = 'auth.login'


@user_loaded_from_cookie.connect
def bind_remembered_session(app, user):
    # A login from the remember cookie starts a session without the
    # visitor's identifier, which 'strong' protection would take for a
    # stolen session on the next request (Flask-Login issue 685): bind
    # it to this visitor, as login_user() does.
    session['_id'] = login_manager._session_identifier_generator()


def create_app(config_name):
    """Build the app from a name in config.config, or a Config class."""
    if isinstance(config_name, type):
        config_class = config_name
    elif config_name in config:
        config_class = config[config_name]
    else:
        raise ConfigError(
            f'Unknown configuration {config_name!r}: choose one of '
            + ', '.join(sorted(config)) + '.')
    app = Flask(__name__)
    app.config.from_object(config_class)
    config_class.init_app(app)
    app.wsgi_app = PageCache(app.wsgi_app)
    if app.config['FLASKY_PROXIES']:
        proxies = app.config['FLASKY_PROXIES']
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies,
                                x_proto=proxies)

    bootstrap.init_app(app)
    vendor.init_app(app)
    mail.init_app(app)
    moment.init_app(app)
    db.init_app(app)
    # Flask-Migrate is set up by manage.py, for the commands that use it.
    login_manager.init_app(app)
    # One Talisman per app: it keeps its settings on the instance.
    app.extensions['talisman'] = Talisman(
        app,
        content_security_policy=app.config['FLASKY_CSP'],
        frame_options='DENY',
        referrer_policy=app.config['FLASKY_REFERRER_POLICY'],
        strict_transport_security=app.config['FLASKY_HSTS'],
        force_https=app.config['FLASKY_FORCE_HTTPS'],
        # SESSION_COOKIE_SECURE comes from config.py, not from Talisman.
        session_cookie_secure=False,
        session_cookie_samesite=app.config['SESSION_COOKIE_SAMESITE']
        or 'Lax')
    limiter.init_app(app)
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks \
            and not any(app.config.get(name) for name in APP_WIDE_LIMITS):
        # Every limit is on a view (auth/throttling.py) and is checked as
        # the view is called. Flask-Limiter's check before every request
        # is for app-wide limits; with none set, it would check nothing.
        hooks.remove(limiter._check_request_limit)

    from .main import main as main_blueprint
    app.register_blueprint(main_blueprint)

    from .auth import auth as auth_blueprint
    app.register_blueprint(auth_blueprint, url_prefix='/auth')

    return app
