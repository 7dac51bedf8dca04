from flask import Flask
from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_bootstrap import Bootstrap
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_moment import Moment
from flask_sqlalchemy import SQLAlchemy

from config import config_class
from . import caching, first_run, forms_only, headers, hosts, i18n, vendor
from .session_protection import LoginManager
from .smtp import Mail

babel = Babel()
bootstrap = Bootstrap()
mail = Mail()
moment = Moment()
db = SQLAlchemy()
# The limits are on the views (auth/throttling.py).
limiter = Limiter(key_func=get_remote_address)

login_manager = LoginManager()
login_manager.session_protection = 'strong'
login_manager.login_view = 'auth.login'
# Flashed as str() of it, the text in the page's language: the session
# would keep a lazy string as Markup, which templates do not escape.
login_manager.login_message = _l('Please log in to access this page.')
login_manager.login_message_category = 'info'
login_manager.localize_callback = str


def create_app(config_name):
    """Build the app for a name in config.config, or a Config class."""
    app = Flask(__name__)
    config_ = config_class(config_name)
    app.config.from_object(config_)
    config_.init_app(app)

    bootstrap.init_app(app)
    i18n.init_app(app, babel)
    vendor.init_app(app)
    mail.init_app(app)
    moment.init_app(app)
    db.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    headers.init_app(app)
    caching.init_app(app)
    hosts.init_app(app)
    forms_only.init_app(app)
    first_run.init_app(app)

    from .main import main as main_blueprint
    app.register_blueprint(main_blueprint)

    from .auth import auth as auth_blueprint
    app.register_blueprint(auth_blueprint, url_prefix='/auth')
    from .two_step import two_step as two_step_blueprint
    app.register_blueprint(two_step_blueprint, url_prefix='/auth/two-step')
    from .passkeys import passkeys as passkeys_blueprint
    app.register_blueprint(passkeys_blueprint, url_prefix='/auth/passkeys')
    return app
