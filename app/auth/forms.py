import functools
import re

import flask_wtf
import sqlalchemy as sa
from babel import support
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.i18n import messages_path
from wtforms.validators import (DataRequired, EqualTo, Length, Regexp,
                                ValidationError)

from .. import db
from ..i18n import current_language
from ..models import User, canonical_email, normalise_password
from . import password_advice


# Flask-WTF's CSRF errors (flask_wtf/csrf.py), which it gives in English
# only, and their translations.
CSRF_ERRORS = {
    'The CSRF token is missing.': _l('The CSRF token is missing.'),
    'The CSRF session token is missing.':
        _l('The CSRF session token is missing.'),
    'The CSRF token has expired.': _l('The CSRF token has expired.'),
    'The CSRF token is invalid.': _l('The CSRF token is invalid.'),
    'The CSRF tokens do not match.': _l('The CSRF tokens do not match.'),
}


@functools.cache
def wtforms_catalogue(name):
    """WTForms' own catalogue for the language `name` ('zh_TW')."""
    return support.Translations.load(messages_path(), [name],
                                     domain='wtforms')


class FlaskForm(flask_wtf.FlaskForm):
    """Flask-WTF's FlaskForm, with WTForms' messages and the CSRF errors in
    the page's language."""

    class Meta:
        def get_translations(self, form):
            # Flask-WTF looks WTForms' catalogue up under Babel's name of
            # the locale, zh_Hant_TW for zh_TW, and finds WTForms'
            # Simplified Chinese (zh) first: look for zh_TW.
            language = current_language()
            if language is None:
                return None
            return wtforms_catalogue(language)

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if 'csrf_token' in self:
            self.csrf_token.errors = [CSRF_ERRORS.get(error, error)
                                      for error in self.csrf_token.errors]
        return valid


def strip(value):
    return value.strip() if isinstance(value, str) else value


def email_taken(email):
    email = canonical_email(email)
    return db.session.scalar(
        sa.select(User.id).where(User.email == email)) is not None


class CanonicalEmail:
    """An address, with only ASCII before the @ (Flask-Mail cannot send
    to others: that needs SMTPUTF8), whose canonical form fits the column.

    That form, the one stored and mailed to, can be longer than what was
    typed (an international domain in xn--... form), and PostgreSQL
    refuses a value longer than its column where SQLite would keep it.
    """
    limit = User.__table__.c.email.type.length

    def __call__(self, form, field):
        try:
            email = canonical_email(field.data)
        except ValueError:
            # WTForms' own Email validator's words, in its catalogue.
            raise ValidationError(
                field.gettext('Invalid email address.')) from None
        if len(email) > self.limit:
            raise ValidationError(_(
                'Field must be at most %(max)d characters long in lower '
                'case, with an international domain in its xn-- form.',
                max=self.limit))


# zxcvbn's own cap: it gets slow on longer input, and the first 72
# characters of a good password are a good password.
ZXCVBN_MAX_LENGTH = 72


def zxcvbn(password, user_inputs):
    """zxcvbn's estimate of how guessable `password` is.

    zxcvbn builds its dictionaries (about 12 MB) when first imported, so
    it is imported here, by the first form that checks a new password,
    not by every web server worker at start-up.
    """
    from zxcvbn import zxcvbn as estimate
    return estimate(password, user_inputs=user_inputs)


def guessable_words(user_inputs):
    """The inputs, and the words of each email's local part: zxcvbn only
    matches whole inputs, and `quincebottom77` is no better a password
    for quincebottom@example.com than the address itself."""
    words = []
    for text in filter(None, user_inputs):
        words.append(text)
        if '@' in text:
            local = text.rsplit('@', 1)[0]
            words.append(local)
            words.extend(w for w in re.split(r'[._+-]+', local) if w)
    return words


class PasswordLength:
    """No password longer than FLASKY_PASSWORD_MAX_LENGTH is ever hashed."""

    def __call__(self, form, field):
        limit = current_app.config['FLASKY_PASSWORD_MAX_LENGTH']
        if field.data and len(normalise_password(field.data)) > limit:
            raise ValidationError(_(
                'Password must be at most %(max)d characters long.',
                max=limit))


class StrongPassword(PasswordLength):
    """The password policy, wherever a password is set: long enough, not
    too long, and not guessable by zxcvbn, which also counts the form's
    username and email (or the current user's) and `form.user_inputs`
    as guessable. Its advice is the error message."""

    def __call__(self, form, field):
        super().__call__(form, field)
        config = current_app.config
        password = normalise_password(field.data or '')
        if len(password) < config['FLASKY_PASSWORD_MIN_LENGTH']:
            raise ValidationError(_(
                'Password must be at least %(min)d characters long.',
                min=config['FLASKY_PASSWORD_MIN_LENGTH']))
        user_inputs = list(getattr(form, 'user_inputs', ()))
        for name in ('username', 'email'):
            if name in form:
                user_inputs.append(form[name].data)
            if current_user.is_authenticated:
                user_inputs.append(getattr(current_user, name))
        result = zxcvbn(password[:ZXCVBN_MAX_LENGTH],
                        user_inputs=guessable_words(user_inputs))
        if result['score'] < config['FLASKY_PASSWORD_MIN_SCORE']:
            feedback = result['feedback']
            advice = [feedback['warning']] + feedback['suggestions']
            raise ValidationError(' '.join(
                [_('This password is too easy to guess.')] +
                [password_advice.translate(a) for a in advice if a]))


class LoginForm(FlaskForm):
    email = StringField(_l('Email'), filters=[strip],
                        validators=[DataRequired(), Length(1, 64),
                                    CanonicalEmail()])
    password = PasswordField(_l('Password'),
                             validators=[DataRequired(), PasswordLength()])
    remember_me = BooleanField(_l('Keep me logged in'))
    submit = SubmitField(_l('Log In'))


class RegistrationForm(FlaskForm):
    email = StringField(_l('Email'), filters=[strip],
                        validators=[DataRequired(), Length(1, 64),
                                    CanonicalEmail()])
    username = StringField(_l('Username'), validators=[
        DataRequired(), Length(1, 64),
        # \Z, not $: $ would let a newline end the name.
        Regexp(r'^[A-Za-z][A-Za-z0-9_.]*\Z', 0,
               _l('Usernames must have only letters, numbers, dots or '
                  'underscores'))])
    password = PasswordField(_l('Password'), validators=[
        DataRequired(),
        EqualTo('password2', message=_l('Passwords must match.')),
        StrongPassword()])
    password2 = PasswordField(_l('Confirm password'),
                              validators=[DataRequired()])
    submit = SubmitField(_l('Register'))

    def validate_email(self, field):
        # Only a value that passed the checks above is looked up: the
        # database need not see it otherwise (PostgreSQL refuses a NUL).
        if field.errors:
            return
        if email_taken(field.data):
            raise ValidationError(_('Email already registered.'))

    def validate_username(self, field):
        # Only a value that passed the checks above is looked up: the
        # database need not see it otherwise (PostgreSQL refuses a NUL).
        if field.errors:
            return
        if db.session.scalar(sa.select(User.id).where(
                sa.func.lower(User.username) == field.data.lower())) \
                is not None:
            raise ValidationError(_('Username already in use.'))


class ChangePasswordForm(FlaskForm):
    old_password = PasswordField(_l('Old password'),
                                 validators=[DataRequired(), PasswordLength()])
    password = PasswordField(_l('New password'), validators=[
        DataRequired(),
        EqualTo('password2', message=_l('Passwords must match.')),
        StrongPassword()])
    password2 = PasswordField(_l('Confirm new password'),
                              validators=[DataRequired()])
    submit = SubmitField(_l('Update Password'))


class PasswordResetRequestForm(FlaskForm):
    email = StringField(_l('Email'), filters=[strip],
                        validators=[DataRequired(), Length(1, 64),
                                    CanonicalEmail()])
    submit = SubmitField(_l('Reset Password'))


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l('New Password'), validators=[
        DataRequired(),
        EqualTo('password2', message=_l('Passwords must match.')),
        StrongPassword()])
    password2 = PasswordField(_l('Confirm password'),
                              validators=[DataRequired()])
    submit = SubmitField(_l('Reset Password'))


class ChangeEmailForm(FlaskForm):
    email = StringField(_l('New Email'), filters=[strip],
                        validators=[DataRequired(), Length(1, 64),
                                    CanonicalEmail()])
    password = PasswordField(_l('Password'),
                             validators=[DataRequired(), PasswordLength()])
    submit = SubmitField(_l('Update Email Address'))

    def validate_email(self, field):
        # Only a value that passed the checks above is looked up: the
        # database need not see it otherwise (PostgreSQL refuses a NUL).
        if field.errors:
            return
        if email_taken(field.data):
            raise ValidationError(_('Email already registered.'))


class ButtonForm(FlaskForm):
    """A form of one button, for an action that must be a POST with a
    CSRF token (log out, send the email again, end a session)."""
