import os
import secrets
import tempfile
from datetime import timedelta

from werkzeug.middleware.proxy_fix import ProxyFix

basedir = os.path.abspath(os.path.dirname(__file__))


class ConfigError(RuntimeError):
    """A configuration the app cannot start with."""


def env_flag(name, default='false'):
    return os.environ.get(name, default).lower() in ('true', 'on', '1', 'yes')


def env_list(name):
    """A comma-separated list in the environment; [] if unset."""
    return [item.strip() for item in os.environ.get(name, '').split(',')
            if item.strip()]


def database_url(url):
    """A database URL with psycopg 3 as PostgreSQL's driver.

    Hosting services write postgres://, which SQLAlchemy no longer takes,
    and postgresql:// means psycopg2, which is not installed.
    """
    for scheme in ('postgres://', 'postgresql://'):
        if url and url.startswith(scheme):
            return 'postgresql+psycopg://' + url[len(scheme):]
    return url


def instance_secret_key(app):
    """A random key, made on first use and kept in the instance folder
    (git-ignored), so that sessions outlive a restart."""
    path = os.path.join(app.instance_path, 'secret_key')
    if not os.path.exists(path):
        os.makedirs(app.instance_path, exist_ok=True)
        fd, new = tempfile.mkstemp(dir=app.instance_path)  # mode 0600
        with os.fdopen(fd, 'w') as f:
            f.write(secrets.token_hex(32))
        try:
            # Whole or not at all, and the first process to start wins.
            os.link(new, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(new)
    with open(path) as f:
        return f.read().strip()


class Config:
    # Explicit, so that FLASK_DEBUG in the environment does not reach
    # the testing and production configurations.
    DEBUG = False
    # No key in the source: development makes one and keeps it in the
    # instance folder, production refuses to start without one.
    SECRET_KEY = os.environ.get('SECRET_KEY')
    # The largest form is well under 64 KiB; a longer body is refused
    # (413) before it is read.
    MAX_CONTENT_LENGTH = 64 * 1024
    # No MAIL_SERVER means no SMTP: emails are written to the log instead.
    MAIL_SERVER = os.environ.get('MAIL_SERVER')
    MAIL_PORT = int(os.environ.get('MAIL_PORT', '587'))
    MAIL_USE_TLS = env_flag('MAIL_USE_TLS', 'true')
    MAIL_USERNAME = os.environ.get('MAIL_USERNAME')
    MAIL_PASSWORD = os.environ.get('MAIL_PASSWORD')
    # Flask-Mail drops every message when TESTING is on unless told not to.
    MAIL_SUPPRESS_SEND = False
    FLASKY_MAIL_SUBJECT_PREFIX = os.environ.get(
        'FLASKY_MAIL_SUBJECT_PREFIX', '[Flasky]')
    FLASKY_MAIL_SENDER = os.environ.get(
        'FLASKY_MAIL_SENDER', 'Flasky Admin <flasky@example.com>')
    FLASKY_MAIL_ASYNC = True
    # Seconds the SMTP server may take over each step of a sending, and
    # the longest a request waits for an email it has to report on.
    MAIL_TIMEOUT = float(os.environ.get('MAIL_TIMEOUT', '10'))
    FLASKY_ADMIN = os.environ.get('FLASKY_ADMIN')
    # Passwords: how they are hashed, and which ones are accepted.
    FLASKY_PASSWORD_HASH_METHOD = os.environ.get(
        'FLASKY_PASSWORD_HASH_METHOD', 'scrypt')
    FLASKY_PASSWORD_MIN_LENGTH = 8
    FLASKY_PASSWORD_MAX_LENGTH = int(
        os.environ.get('FLASKY_PASSWORD_MAX_LENGTH', '128'))
    # zxcvbn's score, 0 (guessable) to 4 (very unguessable).
    FLASKY_PASSWORD_MIN_SCORE = int(
        os.environ.get('FLASKY_PASSWORD_MIN_SCORE', '3'))
    # Cookies: never sent with cross-site POSTs, never read by scripts.
    SESSION_COOKIE_SAMESITE = 'Lax'
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = 'Lax'
    REMEMBER_COOKIE_DURATION = timedelta(
        days=int(os.environ.get('FLASKY_REMEMBER_DAYS', '14')))
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # Test each pooled connection before use: after a database restart
    # the next request gets a new connection instead of an error.
    SQLALCHEMY_ENGINE_OPTIONS = {'pool_pre_ping': True}
    # Serve Bootstrap and jQuery from this app, never from a CDN.
    BOOTSTRAP_SERVE_LOCAL = True
    # How long a shared cache (nginx) may keep a page marked @shared, the
    # home page, for visitors without cookies (app/caching.py); 0: never.
    FLASKY_SHARED_CACHE_SECONDS = int(
        os.environ.get('FLASKY_SHARED_CACHE_SECONDS', '60'))
    # Security headers, sent by Flask-Talisman (app/headers.py). The
    # pages load scripts, styles, images and fonts from this site only.
    FLASKY_CSP = {
        'default-src': "'self'",
        'script-src': "'self'",
        'style-src': "'self'",
        'img-src': "'self'",
        'font-src': "'self'",
        'object-src': "'none'",
        'base-uri': "'self'",
        'form-action': "'self'",
        'frame-ancestors': "'none'",
    }
    # Token links (/auth/reset/<token>, ...) must not reach other sites
    # in a Referer header; same-origin still sends it to this site, which
    # Flask-WTF's CSRF check requires on HTTPS.
    FLASKY_REFERRER_POLICY = 'same-origin'
    FLASKY_HSTS = False
    FLASKY_FORCE_HTTPS = False
    # Throttling (Flask-Limiter). Counters live in memory unless
    # RATELIMIT_STORAGE_URI names a shared store such as
    # redis://127.0.0.1:6379, which every server process must use.
    # Explicit: the one Limiter object would otherwise keep the
    # RATELIMIT_ENABLED of the app made before.
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = os.environ.get('RATELIMIT_STORAGE_URI') or \
        'memory://'
    RATELIMIT_KEY_PREFIX = os.environ.get('RATELIMIT_KEY_PREFIX', 'flasky')
    RATELIMIT_HEADERS_ENABLED = True
    # If the shared store goes down, count in this process's memory
    # rather than answer 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # How many reverse proxies stand in front of the app. Behind them,
    # the visitor's address (which the limits count) and scheme come
    # from their X-Forwarded-For and X-Forwarded-Proto headers; with 0,
    # those headers are ignored, as anyone can send them.
    FLASKY_PROXIES = int(os.environ.get('FLASKY_PROXIES', '0'))
    FLASKY_LIMIT_LOGIN_PER_IP = '10 per minute'
    FLASKY_LIMIT_LOGIN_PER_ACCOUNT = '5 per 5 minutes'
    FLASKY_LIMIT_RESET_PER_IP = '5 per 15 minutes'
    FLASKY_LIMIT_RESET_PER_EMAIL = '3 per hour'
    # Every register and change-email POST counts, refused ones too:
    # room for a person's mistakes, not for probing many addresses.
    FLASKY_LIMIT_REGISTER_PER_IP = '10 per hour'
    FLASKY_LIMIT_CHANGE_EMAIL_PER_IP = '10 per hour'
    FLASKY_LIMIT_CHANGE_EMAIL_PER_USER = '5 per hour'
    FLASKY_LIMIT_RESEND_PER_USER = '3 per 15 minutes'
    FLASKY_LIMIT_TWO_STEP_PER_ACCOUNT = '5 per 5 minutes'

    # Passkeys (WebAuthn): the relying party's ID, a host name, and the
    # origin browsers must report. Unset, the origin is
    # PREFERRED_URL_SCHEME://SERVER_NAME, or without SERVER_NAME the
    # address the page was opened at (development: http://localhost:5000,
    # as browsers refuse an IP address); the RP ID is the origin's host.
    FLASKY_WEBAUTHN_RP_ID = os.environ.get('FLASKY_WEBAUTHN_RP_ID')
    FLASKY_WEBAUTHN_ORIGIN = os.environ.get('FLASKY_WEBAUTHN_ORIGIN')

    @staticmethod
    def init_app(app):
        proxies = app.config['FLASKY_PROXIES']
        if proxies:
            app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies,
                                    x_proto=proxies)


class DevelopmentConfig(Config):
    DEBUG = True
    # The Host names the site answers to (`make run` serves 127.0.0.1);
    # any other gets a 400, so no emailed link can point elsewhere.
    TRUSTED_HOSTS = env_list('TRUSTED_HOSTS') or ['localhost', '127.0.0.1']
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get('DEV_DATABASE_URL')) or \
        'sqlite:///' + os.path.join(basedir, 'data-dev.sqlite')

    @classmethod
    def init_app(cls, app):
        Config.init_app(app)
        if not app.config['SECRET_KEY']:
            app.config['SECRET_KEY'] = instance_secret_key(app)
        # Show INFO lines, among them the emails written to the console.
        app.logger.setLevel('INFO')
        if os.environ.get('DATABASE_URL'):
            # Whoever set it may expect that database: say which is used.
            app.logger.warning(
                'DATABASE_URL is set, but the development configuration '
                'does not read it: it uses %s. Set DEV_DATABASE_URL for '
                'development, or FLASK_CONFIG=production to use '
                'DATABASE_URL.',
                'DEV_DATABASE_URL' if os.environ.get('DEV_DATABASE_URL')
                else 'data-dev.sqlite, as DEV_DATABASE_URL is not set')


class TestingConfig(Config):
    TESTING = True
    # A new key in every process: no server started with this
    # configuration signs with a key printed here.
    SECRET_KEY = secrets.token_hex(32)
    # The test client's default Host, and the servers the tests start.
    TRUSTED_HOSTS = ['localhost', '127.0.0.1']
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get('TEST_DATABASE_URL')) or 'sqlite://'
    WTF_CSRF_ENABLED = False
    FLASKY_MAIL_ASYNC = False
    # A cheap hash keeps the suite fast; the tests of hashing itself use
    # the production method.
    FLASKY_PASSWORD_HASH_METHOD = 'pbkdf2:sha256:1000'
    # Fresh counters for every app, whatever the environment says.
    RATELIMIT_STORAGE_URI = 'memory://'

    @classmethod
    def init_app(cls, app):
        Config.init_app(app)
        # On PostgreSQL a statement that waits over 10 seconds for a lock
        # fails instead of hanging the tests: DROP TABLE waits for every
        # transaction still open on the table.
        if app.config['SQLALCHEMY_DATABASE_URI'].startswith('postgresql'):
            options = dict(app.config.get('SQLALCHEMY_ENGINE_OPTIONS', {}))
            options['connect_args'] = dict(
                {'options': '-c lock_timeout=10s'},
                **options.get('connect_args', {}))
            app.config['SQLALCHEMY_ENGINE_OPTIONS'] = options


class ProductionConfig(Config):
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get('DATABASE_URL')) or \
        'sqlite:///' + os.path.join(basedir, 'data.sqlite')
    # The site's address: emailed links are built from it, never from the
    # Host header of the request that caused the email.
    SERVER_NAME = os.environ.get('SERVER_NAME')
    # Host names the site answers to besides SERVER_NAME (init_app adds
    # it), e.g. an alias; any other Host gets a 400.
    TRUSTED_HOSTS = env_list('TRUSTED_HOSTS')
    PREFERRED_URL_SCHEME = os.environ.get('PREFERRED_URL_SCHEME', 'https')
    # Sent on HTTPS requests only (directly or X-Forwarded-Proto: https).
    FLASKY_HSTS = True
    # Redirecting http:// to https:// is the TLS-terminating proxy's job;
    # the app would loop if the proxy does not send X-Forwarded-Proto.
    FLASKY_FORCE_HTTPS = env_flag('FLASKY_FORCE_HTTPS')
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    @classmethod
    def init_app(cls, app):
        Config.init_app(app)
        for name, why in (
                ('SECRET_KEY', 'a long random string'),
                ('SERVER_NAME', "the site's host name, e.g. "
                 'flasky.example.com; emailed links are built from it')):
            if not app.config.get(name):
                raise ConfigError(
                    f'{name} is not set: the production configuration '
                    f'refuses to start without it. Set the {name} '
                    f'environment variable to {why}.')
        app.config['TRUSTED_HOSTS'] = [app.config['SERVER_NAME'],
                                       *app.config['TRUSTED_HOSTS']]


config = {
    'development': DevelopmentConfig,
    'testing': TestingConfig,
    'production': ProductionConfig,

    'default': DevelopmentConfig,
}


def config_class(name):
    """The Config class for a name in `config` (a class is its own)."""
    if isinstance(name, type):
        return name
    if name not in config:
        raise ConfigError(
            f'Unknown configuration {name!r}: choose one of '
            + ', '.join(sorted(config)) + '.')
    return config[name]
