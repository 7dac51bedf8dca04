from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from ..auth.forms import FlaskForm, PasswordLength, strip
from .models import Passkey


class AddPasskeyForm(FlaskForm):
    name = StringField(_l('Name of the passkey'), filters=[strip],
                       validators=[DataRequired(),
                                   Length(1, Passkey.NAME_LENGTH)],
                       description=_l('Where it is kept, e.g. "laptop" or '
                                      '"phone".'))
    password = PasswordField(_l('Password'),
                             validators=[DataRequired(), PasswordLength()])
    submit = SubmitField(_l('Add a passkey'))


class RenamePasskeyForm(FlaskForm):
    name = StringField(_l('New name'), filters=[strip],
                       validators=[DataRequired(),
                                   Length(1, Passkey.NAME_LENGTH)])
    password = PasswordField(_l('Password'),
                             validators=[DataRequired(), PasswordLength()])
    submit = SubmitField(_l('Rename'))


class RemovePasskeyForm(FlaskForm):
    password = PasswordField(_l('Password'),
                             validators=[DataRequired(), PasswordLength()])
    submit = SubmitField(_l('Remove'))


class CredentialForm(FlaskForm):
    """What passkeys.js posts: the browser's credential, as JSON."""
    credential = StringField(validators=[DataRequired(),
                                         Length(max=16 * 1024)])


class NewPasskeyForm(CredentialForm):
    """A new passkey's credential, and the name the user gave it."""
    name = AddPasskeyForm.name
