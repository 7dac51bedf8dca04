"""Caches for what every page works out anew, though it seldom changes.

- The URLs a page links to (style sheets, scripts, the favicon, the
  navigation): `url_for` walks Werkzeug's URL map for each. A URL built
  in a request depends only on the endpoint, the values, and the
  request's script root, host, scheme and blueprint, so it is kept under
  those in a bounded cache per app.
- The security headers: Flask-Talisman works out its headers for every
  response. They depend only on the endpoint's options (its
  `@talisman(...)` overrides) and on whether the request came over
  HTTPS (HSTS), so they are worked out once for each of those, unless a
  per-request CSP nonce is in use.
"""
import functools
from types import SimpleNamespace

import flask_talisman
from flask import current_app, has_request_context, request
from werkzeug.datastructures import Headers

CACHE_SIZE = 512


def _request_key():
    """What, besides the endpoint and values, a URL built in this request
    depends on; worked out once per request."""
    req = request._get_current_object()
    key = getattr(req, '_flasky_url_key', None)
    if key is None:
        key = req._flasky_url_key = (req.script_root, req.host, req.scheme,
                                     req.blueprint)
    return key


def cached_url_for(app):
    """A drop-in `url_for` for `app` that remembers what it built."""
    build = app.url_for

    @functools.lru_cache(maxsize=CACHE_SIZE)
    def cached(key):
        return build(key[0], **dict(key[1]))

    @functools.wraps(build)
    def url_for(endpoint, /, **values):
        if app.url_default_functions or not has_request_context():
            return build(endpoint, **values)
        key = (endpoint, tuple(sorted(values.items())), _request_key())
        try:
            return cached(key)
        except TypeError:  # an unhashable value
            return build(endpoint, **values)

    url_for.cache_info = cached.cache_info
    return url_for


def url_for(endpoint, /, **values):
    """Like flask.url_for, through the current app's cache."""
    return current_app.extensions['flasky_url_for'](endpoint, **values)


class Talisman(flask_talisman.Talisman):
    """Flask-Talisman, with each endpoint's headers worked out once."""

    def init_app(self, app, **kwargs):
        super().init_app(app, **kwargs)
        self._options = {}
        self._headers = {}

    def _get_local_options(self):
        # The parent returns the view's own options (or a new dict for a
        # view without any), filled in with the defaults: the same for
        # every request to the endpoint.
        endpoint = request.endpoint
        options = self._options.get(endpoint)
        if options is None:
            options = self._options[endpoint] = super()._get_local_options()
        return options

    def _force_https(self):
        if self.session_cookie_secure or self._get_local_options()[
                'force_https']:
            return super()._force_https()
        return None

    def _make_nonce(self):
        if self._get_local_options()['content_security_policy_nonce_in']:
            return super()._make_nonce()
        return None

    def _set_response_headers(self, response):
        options = self._get_local_options()
        if options['content_security_policy_nonce_in']:
            return super()._set_response_headers(response)
        key = (request.endpoint, request.is_secure,
               request.headers.get('X-Forwarded-Proto', 'http') == 'https')
        headers = self._headers.get(key)
        if headers is None:
            scratch = SimpleNamespace(headers=Headers())
            super()._set_response_headers(scratch)
            headers = self._headers[key] = list(scratch.headers.items())
        for name, value in headers:
            response.headers[name] = value
        return response


def init_app(app):
    app.extensions['flasky_url_for'] = cached = cached_url_for(app)
    app.jinja_env.globals['url_for'] = cached
