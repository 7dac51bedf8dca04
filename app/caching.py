"""What a shared cache, such as nginx in front of the app, may keep.

Only pages a view marks @shared, as shown to a visitor who sends no
cookie: such a visitor is not logged in and has no message waiting.
Every other page is personal (a user's, or a form with its own CSRF
token) and is never stored, not even by the browser: after logging out,
the back button does not show it again.
"""
import functools

from flask import current_app, make_response, request


def shared(view):
    """Let shared caches keep the view's page for visitors without cookies
    for FLASKY_SHARED_CACHE_SECONDS; browsers ask again each time."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        seconds = current_app.config['FLASKY_SHARED_CACHE_SECONDS']
        if seconds and not request.cookies:
            response.headers['Cache-Control'] = \
                f'public, max-age=0, s-maxage={seconds}'
        return response
    return wrapper


def no_store(response):
    """Pages that say nothing about caching are personal."""
    if response.mimetype == 'text/html' \
            and 'Cache-Control' not in response.headers:
        response.headers['Cache-Control'] = 'private, no-store'
    return response


def init_app(app):
    app.after_request(no_store)
