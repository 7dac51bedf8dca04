from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_login import UserMixin
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from . import db, login_manager


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

    role: so.Mapped[Optional[Role]] = so.relationship(back_populates='users')

    @so.validates('email')
    def _normalise_email(self, key, email):
        return email.strip().lower() if email is not None else None

    @property
    def password(self):
        raise AttributeError('password is not a readable attribute')

    @password.setter
    def password(self, password):
        self.password_hash = generate_password_hash(password)

    def verify_password(self, password):
        if self.password_hash is None:
            return False
        return check_password_hash(self.password_hash, password)

    def generate_confirmation_token(self, expiration=3600):
        return _make_token('confirm', expiration, confirm=self.id)

    def confirm(self, token):
        data = _load_token('confirm', token)
        if data is None or data.get('confirm') != self.id:
            return False
        self.confirmed = True
        db.session.add(self)
        return True

    def generate_reset_token(self, expiration=3600):
        return _make_token('reset', expiration, reset=self.id)

    @staticmethod
    def reset_password(token, new_password):
        data = _load_token('reset', token)
        if data is None or not isinstance(data.get('reset'), int):
            return False
        user = db.session.get(User, data['reset'])
        if user is None:
            return False
        user.password = new_password
        db.session.add(user)
        return True

    def generate_email_change_token(self, new_email, expiration=3600):
        return _make_token('change-email', expiration,
                           change_email=self.id, new_email=new_email)

    def change_email(self, token):
        data = _load_token('change-email', token)
        if data is None or data.get('change_email') != self.id:
            return False
        new_email = data.get('new_email')
        if not isinstance(new_email, str) or not new_email:
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


@login_manager.user_loader
def load_user(user_id):
    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
