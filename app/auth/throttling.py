"""The limits on the auth views (Flask-Limiter), one decorator each.

Each limit is read from the configuration (FLASKY_LIMIT_...) when a
request comes, so a deployment or a test can change it. The form views
count POSTs only: showing a form is never limited. A request over a
limit is answered 429 before the view runs (app/main/errors.py renders
the page).
"""
import functools
import hashlib

from flask import current_app, request
from flask.globals import request_ctx
from flask_login import current_user

from .. import limiter


def configured(name):
    """The limit named `name` in the app's configuration."""
    return lambda: current_app.config[name]


def submitted_email():
    """The email in the posted form, as the model stores it, hashed: the
    key stays short whatever was posted, and no address reaches the
    limiter's store or its log."""
    email = request.form.get('email', '').strip().lower()
    return hashlib.sha256(email.encode()).hexdigest() if email else ''


def no_email():
    # Nothing to count against: the form refuses an empty email anyway.
    return not submitted_email()


def user_id():
    # The id, not get_id(): the session token changes with the password.
    return str(current_user.id)


def succeeded(response):
    """The view accepted the form: it redirects."""
    return 300 <= response.status_code < 400


def failed(response):
    """The view refused the form. A 429 is no attempt: the view never ran.
    """
    return response.status_code != 429 and not succeeded(response)


failed_logins_per_ip = limiter.limit(
    configured('FLASKY_LIMIT_LOGIN_PER_IP'), methods=['POST'],
    deduct_when=failed, scope='ip')

failed_logins_per_account = limiter.limit(
    configured('FLASKY_LIMIT_LOGIN_PER_ACCOUNT'), methods=['POST'],
    key_func=submitted_email, exempt_when=no_email, deduct_when=failed,
    scope='account')

reset_requests_per_ip = limiter.limit(
    configured('FLASKY_LIMIT_RESET_PER_IP'), methods=['POST'], scope='ip')

reset_requests_per_email = limiter.limit(
    configured('FLASKY_LIMIT_RESET_PER_EMAIL'), methods=['POST'],
    key_func=submitted_email, exempt_when=no_email, scope='email')

registrations_per_ip = limiter.limit(
    configured('FLASKY_LIMIT_REGISTER_PER_IP'), methods=['POST'],
    deduct_when=succeeded, scope='ip')

# Under login_required: there is always a user to count against.
resends_per_user = limiter.limit(
    configured('FLASKY_LIMIT_RESEND_PER_USER'), key_func=user_id,
    scope='user')


def skip_idle_check(app):
    """Leave out Flask-Limiter's check before every request while it has
    nothing to check.

    Flask-Limiter checks a request twice: before any view, for default,
    application, meta and blueprint limits, and in the decorator of a
    limited view, for that view's limits. Flasky's limits are all on
    views (above), so the first check works out, for every page, that
    there is nothing to check. It stays whenever the app has any limit
    of the other kinds, such as a RATELIMIT_DEFAULT setting.
    """
    manager = limiter.limit_manager
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit not in hooks \
            or manager.default_limits or manager.application_limits \
            or limiter._meta_limits or manager._blueprint_limits \
            or limiter._in_memory_fallback:
        return
    hooks.remove(limiter._check_request_limit)
    # Its other two hooks (after the view: deduct and add the X-RateLimit
    # headers; at teardown: forget the request) only have work when a
    # limit was checked in this request, which is when Flask-Limiter
    # gives the request its context.
    after = app.after_request_funcs.get(None, [])
    for i, hook in enumerate(after):
        if isinstance(hook, functools.partial) and hook.args == (limiter,):
            after[i] = when_checked(hook)
    teardown = app.teardown_request_funcs.get(None, [])
    for i, hook in enumerate(teardown):
        if getattr(hook, '__self__', None) is limiter:
            teardown[i] = when_checked(hook)


def when_checked(hook):
    """`hook`, run only in requests where a limit was checked."""
    @functools.wraps(hook)
    def run(*args):
        if hasattr(request_ctx._get_current_object(),
                   '_limiter_request_context'):
            return hook(*args)
        return args[0] if args else None
    return run
