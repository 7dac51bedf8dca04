import secrets
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from .. import db
from ..models import User, utcnow


class PasskeyUser(db.Model):
    """A user's WebAuthn user handle: 32 random bytes, made with the
    first passkey and kept for good, so that every authenticator knows the
    account by one handle that is neither its email nor its id."""
    __tablename__ = 'passkey_users'
    HANDLE_LENGTH = 32

    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey('users.id', ondelete='CASCADE'), primary_key=True)
    handle: so.Mapped[bytes] = so.mapped_column(
        sa.LargeBinary(HANDLE_LENGTH), unique=True)

    @staticmethod
    def handle_of(user):
        """The handle of `user`, made (and added to the session) if the
        user has none yet; the view commits."""
        row = db.session.get(PasskeyUser, user.id)
        if row is None:
            row = PasskeyUser(user_id=user.id,
                              handle=secrets.token_bytes(
                                  PasskeyUser.HANDLE_LENGTH))
            db.session.add(row)
        return row.handle


class Passkey(db.Model):
    """One passkey of a user: the public key of a credential that an
    authenticator keeps, and the name the user gave it."""
    __tablename__ = 'passkeys'
    NAME_LENGTH = 64
    # Credential ids are at most 1023 bytes (WebAuthn Level 3).
    CREDENTIAL_ID_LENGTH = 1023
    TRANSPORTS_LENGTH = 128

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey('users.id', ondelete='CASCADE'), index=True)
    credential_id: so.Mapped[bytes] = so.mapped_column(
        sa.LargeBinary(CREDENTIAL_ID_LENGTH), unique=True)
    # The COSE key, as the authenticator gave it.
    public_key: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    sign_count: so.Mapped[int] = so.mapped_column(
        sa.BigInteger, default=0)
    name: so.Mapped[str] = so.mapped_column(sa.String(NAME_LENGTH))
    # How the browser reached the authenticator ("internal,hybrid").
    transports: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(TRANSPORTS_LENGTH))
    created: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_used: so.Mapped[Optional[datetime]]

    user: so.Mapped[User] = so.relationship()

    @staticmethod
    def remove_all(user):
        """Every passkey of `user` goes; the view commits."""
        db.session.execute(sa.delete(Passkey).where(
            Passkey.user_id == user.id))

    def __repr__(self):
        return f'<Passkey {self.id} of user {self.user_id}>'
