import functools
import hashlib
import secrets
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, g, has_app_context
from flask_login import UserMixin
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from . import db, login_manager

DEFAULT_HASH_METHOD = 'scrypt'


class Role(db.Model):
    __tablename__ = 'roles'
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(64), unique=True)
    users: so.DynamicMapped['User'] = so.relationship(
        back_populates='role', lazy='dynamic')

    def __repr__(self):
        return f'<Role {self.name!r}>'


def _serializer(salt):
    return URLSafeTimedSerializer(current_app.config['SECRET_KEY'], salt=salt)


def _make_token(salt, expiration, **data):
    """Sign `data` for one purpose (the salt), valid `expiration` seconds."""
    return _serializer(salt).dumps(dict(data, expiration=expiration))


def _load_token(salt, token):
    """The data of a good, unexpired token of this purpose, or None."""
    if not isinstance(token, (str, bytes)):
        return None
    s = _serializer(salt)
    try:
        data = s.loads(token)
        if not isinstance(data, dict):
            return None
        # The signature holds; now apply the expiry the token was made with.
        s.loads(token, max_age=int(data['expiration']))
    except (BadData, KeyError, TypeError, ValueError):
        return None
    return data


def hash_method():
    if has_app_context():
        return current_app.config['FLASKY_PASSWORD_HASH_METHOD']
    return DEFAULT_HASH_METHOD


@functools.lru_cache
def _reference_hash(method):
    """A hash of a random password, made with `method`: its prefix names
    the method's current parameters, and checking a password against it
    costs what checking a real one does."""
    return generate_password_hash(secrets.token_hex(16), method)


def _method_of(password_hash):
    return password_hash.split('$', 1)[0]


def new_session_token():
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    __tablename__ = 'users'
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Nullable so that the book's `User(password='cat')` can be committed;
    # the forms require both.
    email: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(64), unique=True, index=True)
    username: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(64), unique=True, index=True)
    role_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey('roles.id'))
    # Werkzeug's scrypt hashes are about 162 characters long.
    password_hash: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(256))
    confirmed: so.Mapped[bool] = so.mapped_column(
        default=False, server_default=sa.false())
    # Flask-Login's "alternative id": what the session and the remember-me
    # cookie hold. A new one at every password change logs out every
    # session made with the old password.
    session_token: so.Mapped[str] = so.mapped_column(
        sa.String(64), unique=True, index=True, default=new_session_token)

    role: so.Mapped[Optional[Role]] = so.relationship(back_populates='users')

    __table_args__ = (
        # "John" and "john" are one username.
        sa.Index('ix_users_username_lower', sa.func.lower(username),
                 unique=True),
    )

    @so.validates('email')
    def _normalise_email(self, key, email):
        return email.strip().lower() if email is not None else None

    @property
    def password(self):
        raise AttributeError('password is not a readable attribute')

    @password.setter
    def password(self, password):
        self.password_hash = generate_password_hash(password, hash_method())
        self.session_token = new_session_token()

    def verify_password(self, password):
        if self.password_hash is None:
            return False
        return check_password_hash(self.password_hash, password)

    def get_id(self):
        return self.session_token

    def _password_fingerprint(self):
        return hashlib.sha256(
            (self.password_hash or '').encode()).hexdigest()[:32]

    def generate_confirmation_token(self, expiration=3600):
        return _make_token('confirm', expiration, confirm=self.id,
                           email=self.email)

    def confirm(self, token):
        data = _load_token('confirm', token)
        if data is None or data.get('confirm') != self.id \
                or data.get('email') != self.email:
            return False
        self.confirmed = True
        db.session.add(self)
        return True

    def generate_reset_token(self, expiration=3600):
        return _make_token('reset', expiration, reset=self.id,
                           password=self._password_fingerprint())

    @staticmethod
    def from_reset_token(token):
        """The user a reset token is for, while it can still be used: it
        dies as soon as the password changes."""
        data = _load_token('reset', token)
        if data is None or not isinstance(data.get('reset'), int):
            return None
        user = db.session.get(User, data['reset'])
        if user is None or \
                data.get('password') != user._password_fingerprint():
            return None
        return user

    @staticmethod
    def reset_password(token, new_password):
        user = User.from_reset_token(token)
        if user is None:
            return False
        # The link is used once, even when it is posted twice at the same
        # time: the new password is written only where the hash is still
        # the one the token was made for. The second request waits for
        # the first one's row lock, then finds nothing to update.
        result = db.session.execute(
            sa.update(User)
            .where(User.id == user.id,
                   User.password_hash == user.password_hash)
            .values(password_hash=generate_password_hash(
                        new_password, hash_method()),
                    session_token=new_session_token()))
        return result.rowcount == 1

    def generate_email_change_token(self, new_email, expiration=3600):
        return _make_token('change-email', expiration,
                           change_email=self.id, new_email=new_email,
                           old_email=self.email)

    def change_email(self, token):
        data = _load_token('change-email', token)
        if data is None or data.get('change_email') != self.id \
                or data.get('old_email') != self.email:
            return False
        new_email = data.get('new_email')
        if not isinstance(new_email, str) or not new_email.strip():
            return False
        new_email = new_email.strip().lower()
        taken = db.session.scalar(
            sa.select(User.id).where(User.email == new_email))
        if taken is not None:
            return False
        self.email = new_email
        db.session.add(self)
        return True

    def __repr__(self):
        return f'<User {self.username!r}>'


def password_matches(user, password):
    """The login check: True if `user` exists and `password` is theirs.

    With no user, a hash is checked all the same, so that an unknown email
    takes as long to refuse as a wrong password. A hash made with an older
    method is made again with the current one (the view commits); the
    session token stays, as the password has not changed.
    """
    method = hash_method()
    if user is None:
        check_password_hash(_reference_hash(method), password)
        return False
    if not user.verify_password(password):
        return False
    if _method_of(user.password_hash) != _method_of(_reference_hash(method)):
        user.password_hash = generate_password_hash(password, method)
        db.session.add(user)
    return True


@login_manager.user_loader
def load_user(session_token):
    if not isinstance(session_token, str) or not session_token \
            or g.get('database_unavailable'):
        return None
    return db.session.scalar(
        sa.select(User).where(User.session_token == session_token))
