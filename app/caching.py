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
- The signer of the session cookie: Flask makes a new one for every
  request; it is made once for each secret key (and fallbacks).
- Whole pages that every anonymous visitor sees alike (the home page and
  the forms to log in, register and ask for a password reset): rendered
  once, then served from memory to any anonymous GET that has no
  flashed message waiting, with the visitor's own CSRF token put in
  place of the one the page was rendered with. Nothing else on these
  pages depends on the visitor; a logged-in user, a message to show, a
  POST or any other page is rendered as always.
"""
import functools
from types import SimpleNamespace

import flask_talisman
from flask import current_app, g, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
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
            headers = self._headers[key] = (
                list(scratch.headers.items()),
                {name.lower() for name in scratch.headers.keys()})
        items, names = headers
        if names.isdisjoint(name.lower() for name in response.headers.keys()):
            response.headers.extend(items)
        else:
            for name, value in items:
                response.headers[name] = value
        return response


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, the signer made once per key."""

    def __init__(self):
        self._serializers = {}

    def get_signing_serializer(self, app):
        key = (app.secret_key,
               tuple(app.config.get('SECRET_KEY_FALLBACKS') or ()))
        try:
            return self._serializers[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable key
            return super().get_signing_serializer(app)
        serializer = super().get_signing_serializer(app)
        if len(self._serializers) >= 8:
            self._serializers.clear()
        self._serializers[key] = serializer
        return serializer


def drop_idle_talisman_hooks(app):
    """Talisman's two checks before each request redirect to HTTPS and
    make a CSP nonce; with neither in use, by default or by any view's
    own options, they only cost time."""
    talisman = app.extensions.get('talisman')
    if not isinstance(talisman, Talisman) or talisman.force_https \
            or talisman.session_cookie_secure \
            or talisman.content_security_policy_nonce_in \
            or any(hasattr(view, 'talisman_view_options')
                   for view in app.view_functions.values()):
        return
    hooks = app.before_request_funcs.get(None, [])
    for hook in (talisman._force_https, talisman._make_nonce):
        if hook in hooks:
            hooks.remove(hook)


# Anonymous GET pages whose HTML depends on nothing but the CSRF token.
CACHED_PAGES = frozenset({'main.index', 'auth.login', 'auth.register',
                          'auth.password_reset_request'})
PAGE_CACHE_SIZE = 64


class PageCache:
    """The HTML of CACHED_PAGES, by endpoint, query string, script root,
    host and scheme, at most PAGE_CACHE_SIZE pages per app."""

    def __init__(self, app, endpoints=CACHED_PAGES, size=PAGE_CACHE_SIZE):
        self.endpoints = endpoints
        self.size = size
        self.pages = {}
        self.token_name = app.config.get('WTF_CSRF_FIELD_NAME', 'csrf_token')
        self.login_manager = app.login_manager
        # After the extensions' checks (an HTTPS redirect, default rate
        # limits), which may answer first; before the site's own (the
        # unconfirmed-account gate), which act on logged-in users only.
        hooks = app.before_request_funcs.setdefault(None, [])
        own = __name__.split('.')[0] + '.'
        first_own = next((i for i, hook in enumerate(hooks) if getattr(
            hook, '__module__', '').startswith(own)), len(hooks))
        hooks.insert(first_own, self.serve)
        app.after_request(self.keep)

    def anonymous(self):
        """No user is logged in. A request with no cookie at all (no
        session, no remember-me cookie) has none, as long as users are
        only ever loaded from those cookies: no request or header loader.
        """
        if 'HTTP_COOKIE' not in request.environ \
                and getattr(self.login_manager, '_request_callback', 1) \
                is None and getattr(self.login_manager, '_header_callback',
                                    1) is None:
            return True
        return not current_user.is_authenticated

    def key(self):
        if request.method != 'GET' or request.endpoint not in self.endpoints \
                or not self.anonymous() or '_flashes' in session:
            return None
        return (request.endpoint, request.query_string) + _request_key()[:3]

    def serve(self):
        key = self.key()
        if key is None:
            return None
        page = self.pages.get(key)
        if page is None:
            g._flasky_page_key = key  # keep() stores the rendered page
            return None
        html, token = page
        if token is not None:
            html = html.replace(token, generate_csrf())
        return html

    def keep(self, response):
        key = g.pop('_flasky_page_key', None)
        if key is None or response.status_code != 200 \
                or response.mimetype != 'text/html' \
                or response.direct_passthrough:
            return response
        html = response.get_data(as_text=True)
        token = g.get(self.token_name)
        if token is not None and token not in html:
            return response
        if len(self.pages) >= self.size:
            try:
                del self.pages[next(iter(self.pages))]
            except (KeyError, RuntimeError, StopIteration):
                pass
        self.pages[key] = (html, token)
        return response


def init_app(app):
    """Call last in create_app, when every view is registered."""
    app.extensions['flasky_url_for'] = cached = cached_url_for(app)
    app.jinja_env.globals['url_for'] = cached
    app.session_interface = SessionInterface()
    drop_idle_talisman_hooks(app)
    if app.config.get('FLASKY_PAGE_CACHE') \
            and not app.jinja_env.auto_reload:
        app.extensions['flasky_page_cache'] = PageCache(app)
