"""Pages kept for visitors who send no cookie.

Such a visitor has no session: not logged in, no message waiting. Some
pages are the same for all of them; these are made once and kept for
FLASKY_PAGE_CACHE_SECONDS (0: never).

- The home page. `@shared_cache` marks the view's answer to a request
  without cookies `Cache-Control: public, max-age=0, s-maxage=N`: any
  shared cache may keep it for N seconds, while browsers, which ignore
  s-maxage, ask again each time, so that nobody sees the anonymous page
  after logging in. `PageCache` is such a shared cache in each server
  process: WSGI middleware that answers a GET or HEAD without a cookie,
  an Authorization header or a query string from its copy, without
  running the app at all (so no app-wide rate limit either, should a
  deployment set one). It keeps only what HTTP lets a shared cache
  keep: a 200 answer to a GET, marked public with an s-maxage, that
  sets no cookie and varies by nothing but the cookie.
- The form pages, but for their CSRF token (`@form_page_cache`).
"""
import functools
import time

from flask import current_app, make_response, request
from flask_wtf.csrf import generate_csrf

# Seconds, as the caches see them (tests move it on).
clock = time.monotonic

# The most pages one process keeps: the key holds the Host header, which
# the visitor chooses.
MAX_ENTRIES = 64


def shared_cache(view):
    """Mark a view's answers to visitors without cookies shareable for
    FLASKY_PAGE_CACHE_SECONDS (0: never)."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        seconds = current_app.config['FLASKY_PAGE_CACHE_SECONDS']
        if seconds and 'Cookie' not in request.headers:
            response.cache_control.public = True
            response.cache_control.max_age = 0
            response.cache_control.s_maxage = seconds
        return response
    return wrapper


class PageCache:
    """WSGI middleware: the shared cache `@shared_cache` speaks to."""

    def __init__(self, app):
        self.app = app
        self.entries = {}

    @staticmethod
    def key(environ):
        if environ['REQUEST_METHOD'] not in ('GET', 'HEAD') \
                or 'HTTP_COOKIE' in environ \
                or 'HTTP_AUTHORIZATION' in environ \
                or environ.get('QUERY_STRING'):
            return None
        return (environ['wsgi.url_scheme'], environ.get('HTTP_HOST'),
                environ.get('SCRIPT_NAME', ''), environ.get('PATH_INFO', ''))

    def __call__(self, environ, start_response):
        key = self.key(environ)
        if key is None:
            return self.app(environ, start_response)
        entry = self.entries.get(key)
        now = clock()
        if entry is not None and now < entry['expires']:
            age = str(int(now - entry['stored']))
            start_response(entry['status'],
                           entry['headers'] + [('Age', age)])
            return [] if environ['REQUEST_METHOD'] == 'HEAD' \
                else [entry['body']]
        if environ['REQUEST_METHOD'] != 'GET':
            return self.app(environ, start_response)
        return self.fill(key, environ, start_response)

    def fill(self, key, environ, start_response):
        """Run the app, and keep its answer if it may be shared (any other
        answer goes out as the app made it, streamed)."""
        answer = {}

        def keep_start_response(status, headers, exc_info=None):
            answer.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        chunks = self.app(environ, keep_start_response)
        seconds = answer and self.shareable_for(answer['status'],
                                                answer['headers'])
        if not seconds:
            return chunks
        try:
            body = b''.join(chunks)
        finally:
            if hasattr(chunks, 'close'):
                chunks.close()
        if len(self.entries) >= MAX_ENTRIES:
            self.entries.clear()
        now = clock()
        self.entries[key] = dict(
            status=answer['status'], headers=answer['headers'], body=body,
            stored=now, expires=now + seconds)
        return [body]

    @staticmethod
    def shareable_for(status, headers):
        """Seconds a shared cache may keep this answer (0: not at all)."""
        if not status.startswith('200 '):
            return 0
        fields = {}
        for name, value in headers:
            fields.setdefault(name.lower(), []).append(value)
        if 'set-cookie' in fields:
            return 0
        vary = {v.strip().lower() for value in fields.get('vary', [])
                for v in value.split(',')}
        if vary - {'cookie'}:
            return 0
        directives = {}
        for value in fields.get('cache-control', []):
            for part in value.split(','):
                name, _, arg = part.strip().partition('=')
                directives[name.lower()] = arg
        if 'public' not in directives or 'private' in directives \
                or 'no-store' in directives:
            return 0
        try:
            return max(int(directives.get('s-maxage', '0')), 0)
        except ValueError:
            return 0


def form_page_cache(view):
    """Keep the page a form view shows a visitor without cookies.

    For such a visitor, the GET page of a form such as the login form
    differs from one visitor to the next only by the CSRF token (which
    starts the visitor's session). The first page made is kept, cut in
    two around its token; the next visitors get the two halves around a
    token of their own, without the view running. Only for views whose
    GET page for an anonymous visitor depends on nothing else; every
    other request runs the view.
    """
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        config = current_app.config
        seconds = config['FLASKY_PAGE_CACHE_SECONDS']
        if not seconds or request.method != 'GET' \
                or 'Cookie' in request.headers or request.query_string \
                or not config.get('WTF_CSRF_ENABLED', True):
            return view(*args, **kwargs)
        pages = current_app.extensions.setdefault('form_pages', {})
        key = (request.endpoint, request.script_root)
        now = clock()
        page = pages.get(key)
        if page is not None and now < page[2]:
            return page[0] + generate_csrf() + page[1]
        response = make_response(view(*args, **kwargs))
        if response.status_code == 200 and response.mimetype == 'text/html' \
                and not response.direct_passthrough:
            halves = response.get_data(as_text=True).split(generate_csrf())
            if len(halves) == 2:
                pages[key] = (halves[0], halves[1], now + seconds)
        return response
    return wrapper
