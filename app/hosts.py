"""A Host not in TRUSTED_HOSTS (config.py) is answered 400 first.

Flask 3.1 answers such a request with a 400, but raises it with the
routing errors, after the before_request functions have run (pallets/flask
issue 5636); one of them that makes a page or a redirect (the 415 page, the
unconfirmed user's redirect) has no host to build its URLs with, and fails
with a 500.
"""
from flask import request


def refuse_untrusted_host():
    # Reading request.host checks it against TRUSTED_HOSTS, and raises
    # Werkzeug's SecurityError, a 400, for any other.
    request.host


def init_app(app):
    app.before_request(refuse_untrusted_host)
