from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from ..auth.forms import FlaskForm, PasswordLength

# The code fields take a code of the app or a recovery code, spaces and
# dashes allowed; anything longer is no code.
CODE_MAX_LENGTH = 32


def code_field(label, description=''):
    return StringField(label, description=description, validators=[
        DataRequired(), Length(1, CODE_MAX_LENGTH)], render_kw={
            'autocomplete': 'one-time-code', 'autocapitalize': 'none',
            'spellcheck': 'false'})


# Under the code field of the second step and of turning it off.
CODE_HELP = _l('The 6-digit code your authenticator app shows, or one of '
               'your recovery codes.')


class PasswordForm(FlaskForm):
    """The password, typed again before a change of two-step sign-in."""
    password = PasswordField(_l('Password'),
                             validators=[DataRequired(), PasswordLength()])
    submit = SubmitField(_l('Continue'))


class SetupForm(FlaskForm):
    code = code_field(_l('Code from the app'))
    submit = SubmitField(_l('Turn On'))


class VerifyForm(FlaskForm):
    code = code_field(_l('Code'), CODE_HELP)
    submit = SubmitField(_l('Verify'))


class DisableForm(PasswordForm):
    code = code_field(_l('Code'), CODE_HELP)
    submit = SubmitField(_l('Turn Off'))


class NewRecoveryCodesForm(PasswordForm):
    submit = SubmitField(_l('Make New Recovery Codes'))
