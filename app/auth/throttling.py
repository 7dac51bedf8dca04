"""The limits on the auth views (Flask-Limiter), one decorator each.

Each limit is read from the configuration (FLASKY_LIMIT_...) when a
request comes, so a deployment or a test can change it. The form views
count POSTs only: showing a form is never limited. A request over a limit
is answered 429 before the view runs (app/main/errors.py renders the
page).
"""
import hashlib

from flask import current_app, request
from flask_login import current_user

from .. import limiter
from ..models import canonical_email


def configured(name):
    """The limit named `name` in the app's configuration."""
    return lambda: current_app.config[name]


def submitted_email():
    """The email in the posted form, as the model stores it, hashed: the
    key stays short whatever was posted, and no address reaches the
    limiter's store or its log."""
    email = request.form.get('email', '')
    try:
        # Each way of writing an address counts against its one account.
        email = canonical_email(email)
    except ValueError:
        email = email.strip().lower()   # no address: the form refuses it
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


# Each limit on a form view counts its POSTs only.
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

# Every POST counts, refused ones too: the forms say "Email already
# registered.", so each is a probe of which addresses have accounts.
registrations_per_ip = limiter.limit(
    configured('FLASKY_LIMIT_REGISTER_PER_IP'), methods=['POST'],
    scope='ip')

email_changes_per_ip = limiter.limit(
    configured('FLASKY_LIMIT_CHANGE_EMAIL_PER_IP'), methods=['POST'],
    scope='ip')

# Under login_required, as the re-sends below.
email_changes_per_user = limiter.limit(
    configured('FLASKY_LIMIT_CHANGE_EMAIL_PER_USER'), methods=['POST'],
    key_func=user_id, scope='user')

# Under login_required: there is always a user to count against.
resends_per_user = limiter.limit(
    configured('FLASKY_LIMIT_RESEND_PER_USER'), methods=['POST'],
    key_func=user_id, scope='user')
