import os

basedir = os.path.abspath(os.path.dirname(__file__))


class ConfigError(RuntimeError):
    """A configuration the app cannot start with."""


def env_flag(name, default='false'):
    return os.environ.get(name, default).lower() in ('true', 'on', '1', 'yes')


class Config:
    # Explicit, so that FLASK_DEBUG in the environment does not reach
    # the testing and production configurations.
    DEBUG = False
    SECRET_KEY = os.environ.get('SECRET_KEY') or 'hard to guess string'
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
    FLASKY_ADMIN = os.environ.get('FLASKY_ADMIN')
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # Serve Bootstrap and jQuery from this app, never from a CDN.
    BOOTSTRAP_SERVE_LOCAL = True
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
    FLASKY_LIMIT_LOGIN_PER_IP = '10 per minute'
    FLASKY_LIMIT_LOGIN_PER_ACCOUNT = '5 per 5 minutes'
    FLASKY_LIMIT_RESET_PER_IP = '5 per 15 minutes'
    FLASKY_LIMIT_RESET_PER_EMAIL = '3 per hour'
    FLASKY_LIMIT_REGISTER_PER_IP = '5 per hour'
    FLASKY_LIMIT_RESEND_PER_USER = '3 per 15 minutes'

    @staticmethod
    def init_app(app):
        pass


class DevelopmentConfig(Config):
    DEBUG = True
    SQLALCHEMY_DATABASE_URI = os.environ.get('DEV_DATABASE_URL') or \
        'sqlite:///' + os.path.join(basedir, 'data-dev.sqlite')

    @classmethod
    def init_app(cls, app):
        Config.init_app(app)
        # Show INFO lines, among them the emails written to the console.
        app.logger.setLevel('INFO')


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = 'testing secret key'
    SQLALCHEMY_DATABASE_URI = os.environ.get('TEST_DATABASE_URL') or \
        'sqlite://'
    WTF_CSRF_ENABLED = False
    FLASKY_MAIL_ASYNC = False
    # Fresh counters for every app, whatever the environment says.
    RATELIMIT_STORAGE_URI = 'memory://'


class ProductionConfig(Config):
    SECRET_KEY = os.environ.get('SECRET_KEY')
    SQLALCHEMY_DATABASE_URI = os.environ.get('DATABASE_URL') or \
        'sqlite:///' + os.path.join(basedir, 'data.sqlite')

    @classmethod
    def init_app(cls, app):
        Config.init_app(app)
        if not app.config.get('SECRET_KEY'):
            raise ConfigError(
                'SECRET_KEY is not set: the production configuration '
                'refuses to start without it. Set the SECRET_KEY '
                'environment variable to a long random string.')


config = {
    'development': DevelopmentConfig,
    'testing': TestingConfig,
    'production': ProductionConfig,

    'default': DevelopmentConfig,
}
