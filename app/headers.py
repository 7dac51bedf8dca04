"""Security headers, sent by Flask-Talisman with the settings in config.py.
"""
from flask_talisman import Talisman


def init_app(app):
    # One Talisman per app: it keeps the settings on itself.
    Talisman(
        app,
        content_security_policy=app.config['FLASKY_CSP'],
        frame_options='DENY',
        referrer_policy=app.config['FLASKY_REFERRER_POLICY'],
        strict_transport_security=app.config['FLASKY_HSTS'],
        force_https=app.config['FLASKY_FORCE_HTTPS'],
        # SESSION_COOKIE_SECURE comes from config.py, not from Talisman.
        session_cookie_secure=False,
        session_cookie_samesite=app.config['SESSION_COOKIE_SAMESITE'])
