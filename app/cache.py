"""A shared page cache for visitors who send no cookie.

A page such as the home page is the same for every visitor who is not
logged in. A view says so with `@shared_cache`, which marks its answer
to a request without cookies `Cache-Control: public, s-maxage=N`
(N = FLASKY_SHARED_CACHE_SECONDS): any
shared cache (a reverse proxy, or the one below) may keep it for N
seconds, while browsers, which ignore s-maxage, revalidate it each time
(max-age=0), so that nobody sees the anonymous page after logging in.

`PageCache` is such a shared cache inside each server process. It wraps
the WSGI app and answers a GET or HEAD without a cookie, an
Authorization header or a query string from the copy it keeps, without
running the app: no session, user, template or header work at all.
It keeps only what HTTP lets a shared cache keep: a 200 answer to a GET,
marked public with an s-maxage, that sets no cookie and varies by
nothing but the cookie.
"""
import functools
import time

from flask import current_app, make_response, request

# The most pages one process keeps: the key holds the Host header, which
# the visitor chooses.
MAX_ENTRIES = 64


def shared_cache(view):
    """Mark a view's answers to visitors without cookies shareable for
    FLASKY_SHARED_CACHE_SECONDS (0: never)."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        seconds = current_app.config['FLASKY_SHARED_CACHE_SECONDS']
        if seconds and 'Cookie' not in request.headers:
            response.cache_control.public = True
            response.cache_control.max_age = 0
            response.cache_control.s_maxage = seconds
        return response
    return wrapper


class PageCache:
    """WSGI middleware: the shared cache `@shared_cache` speaks to."""

    def __init__(self, app, clock=time.monotonic):
        self.app = app
        self.clock = clock
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
        now = self.clock()
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
        now = self.clock()
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
