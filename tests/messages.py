"""The words the site shows its users, as the tests expect them: flashed
messages, form errors, page headings and email subjects. A change of
wording is a change of contract (DESIGN.md lists the flashes and form
errors), made here once.
"""
from app.auth.views import (  # noqa: F401
    CONFIRMATION_NOT_SENT, CONFIRMATION_NOT_SENT_AFTER_REGISTER,
    EMAIL_CHANGE_NOT_SENT)

# -- flashed messages ------------------------------------------------------

INVALID_LOGIN = 'Invalid email or password.'
LOGGED_OUT = 'You have been logged out.'
CONFIRM_SENT = 'A confirmation email has been sent to you by email.'
CONFIRM_RESENT = 'A new confirmation email has been sent to you by email.'
CONFIRMED = 'You have confirmed your account. Thanks!'
CONFIRM_BAD = 'The confirmation link is invalid or has expired.'
INVALID_PASSWORD = 'Invalid password.'
PASSWORD_UPDATED = 'Your password has been updated.'
RESET_SENT = ('An email with instructions to reset your password has been '
              'sent to you.')
RESET_BAD = 'The password reset link is invalid or has expired.'
EMAIL_CHANGE_SENT = ('An email with instructions to confirm your new email '
                     'address has been sent to you.')
EMAIL_UPDATED = 'Your email address has been updated.'
INVALID_REQUEST = 'Invalid request.'
SESSION_ENDED = 'The session has been ended.'
SESSIONS_ENDED = 'Every other session has been ended.'
EMAIL_CHANGE_UNDONE = (
    'Your email address has been put back, every login of the account has '
    'ended and its password is turned off. Follow the link we have sent to '
    'that address to set a new one.')
UNDO_BAD = 'The link to undo the change is invalid or has expired.'
# Flask-Login's, for a page that needs a login.
LOGIN_REQUIRED = 'Please log in to access this page.'

# -- form errors -----------------------------------------------------------

EMAIL_TAKEN = 'Email already registered.'
USERNAME_TAKEN = 'Username already in use.'
BAD_USERNAME = ('Usernames must have only letters, numbers, dots or '
                'underscores')
PASSWORDS_DIFFER = 'Passwords must match.'
TOO_SHORT = 'Password must be at least 8 characters long.'
TOO_EASY = 'This password is too easy to guess.'


def too_long(limit=128):
    """The error for a password over FLASKY_PASSWORD_MAX_LENGTH."""
    return f'Password must be at most {limit} characters long.'


TOO_LONG = too_long()
TOO_LONG_LOWER_CASED = ('Field must be at most 64 characters long in '
                        'lower case, with an international domain in its '
                        'xn-- form.')
# WTForms' and Flask-WTF's own.
REQUIRED = 'This field is required.'
BAD_EMAIL = 'Invalid email address.'
EMAIL_LENGTH = 'Field must be between 1 and 64 characters long.'
CSRF_MISSING = 'The CSRF token is missing.'
CSRF_INVALID = 'The CSRF token is invalid.'

# -- pages -----------------------------------------------------------------


def hello(name):
    """The home page's heading."""
    return f'Hello, {name}!'


HELLO_STRANGER = hello('Stranger')


def logged_in_as(username):
    """What /secret says."""
    return f'You are logged in as {username}.'


LOGIN_HEADING = 'Login'
REGISTER_HEADING = 'Register'
CHANGE_PASSWORD_HEADING = 'Change Your Password'
RESET_HEADING = 'Reset Your Password'
UNCONFIRMED = 'You have not confirmed your account yet.'
NOT_FOUND = 'Not Found'
SERVER_ERROR = 'Internal Server Error'
TOO_MANY_REQUESTS = 'Too Many Requests'
# Bodies refused before any form reads them.
UNSUPPORTED = 'Unsupported Media Type'
LENGTH_REQUIRED = 'Length Required'
TOO_LARGE = 'Request Too Large'
TRIED_TOO_OFTEN = 'You have tried this too many times for now.'


def please_wait(wait):
    """The 429 page's advice, `wait` in words ('5 minutes')."""
    return f'Please wait {wait}, then try again.'


# -- email subjects, each after SUBJECT_PREFIX -----------------------------

SUBJECT_PREFIX = '[Flasky] '
CONFIRM_SUBJECT = 'Confirm Your Account'
RESET_SUBJECT = 'Reset Your Password'
EMAIL_CHANGE_SUBJECT = 'Confirm your email address'
PASSWORD_CHANGED_SUBJECT = 'Your password has been changed'
EMAIL_CHANGED_SUBJECT = 'Your email address has been changed'
EMAIL_RESTORED_SUBJECT = 'Your email address has been put back'
EMAIL_CHANGE_UNDONE_SUBJECT = 'The change of email address was undone'

# -- the look (tests/test_look.py, tests/test_browser.py) -------------------

ACCOUNT_HEADING = 'Account'

# -- the first run (tests/test_first_run.py) --------------------------------

NO_TABLES = 'The database has no tables yet'
DATABASE_BEHIND = 'The database is behind the code'
CONSOLE_EMAIL_NOTE = ('No MAIL_SERVER is set: the email was printed in the '
                      'console where the server runs, not sent.')

# -- passkeys (tests/test_passkeys.py, tests/test_browser_passkeys.py) ------

from app.passkeys.views import (  # noqa: E402,F401
    ALREADY_ADDED as PASSKEY_ALREADY_ADDED, NOT_ADDED as PASSKEY_NOT_ADDED,
    NOT_SIGNED_IN as PASSKEY_NOT_SIGNED_IN,
    NOT_VERIFIED as PASSKEY_NOT_VERIFIED)

PASSKEYS_HEADING = 'Passkeys'
PASSKEY_SIGN_IN = 'Sign in with a passkey'
PASSKEY_RENAMED = 'The passkey has been renamed.'
PASSKEY_VERIFIED = ('Thank you: for the next five minutes, you can rename '
                    'or remove passkeys without typing your password.')
PASSKEY_ADDED_SUBJECT = 'A passkey was added to your account'
PASSKEY_REMOVED_SUBJECT = 'A passkey was removed from your account'


def passkey_added(name):
    return f'Your passkey "{name}" has been added.'


def passkey_removed(name):
    return f'The passkey "{name}" has been removed.'

# -- two-step sign-in (tests/test_two_step.py, tests/test_browser_two_step.py)

INVALID_CODE = 'Invalid code.'
INVALID_PASSWORD_OR_CODE = 'Invalid password or code.'
TWO_STEP_ON = 'Two-step sign-in is on.'
TWO_STEP_OFF = 'Two-step sign-in is off.'
TWO_STEP_ALREADY_ON = 'Two-step sign-in is already on.'
TWO_STEP_LOGIN_EXPIRED = 'Your login has expired. Please log in again.'
TWO_STEP_PASSWORD_AGAIN = ('Please type your password again to turn '
                           'two-step sign-in on.')
NEW_RECOVERY_CODES = ('Your new recovery codes are ready. The old ones no '
                      'longer work.')
TWO_STEP_ON_SUBJECT = 'Two-step sign-in was turned on'
TWO_STEP_OFF_SUBJECT = 'Two-step sign-in was turned off'
NEW_RECOVERY_CODES_SUBJECT = 'New recovery codes were made'
TWO_STEP_SETUP_HEADING = 'Set Up Your Authenticator App'
TWO_STEP_HEADING = 'Two-Step Sign-In'
NEW_RECOVERY_CODES_HEADING = 'Your Recovery Codes'


def recovery_code_used(left):
    """The flash after logging in with a recovery code."""
    return (f'You used a recovery code: {left} '
            f'{"is" if left == 1 else "are"} left.')


def recovery_codes_left(left):
    """What the recovery codes page says."""
    return (f'You have {left} recovery '
            f'{"code" if left == 1 else "codes"} left.')
