"""Two-step sign-in: the user's authenticator app (TOTP, RFC 6238) and
recovery codes. Tables of their own, so that the book's User stays as it
is; each check returns a bool and never raises on bad input, and the view
commits.
"""
import hashlib
import hmac
import re
import secrets
import time
from datetime import datetime, timezone
from typing import Optional

import pyotp
import sqlalchemy as sa
import sqlalchemy.orm as so

from .. import db
from ..models import utcnow

ISSUER = 'Flasky'
# A code of the step before or after the server's is accepted: the
# phone's clock may be up to 30 seconds off.
DRIFT_STEPS = 1
RECOVERY_CODES = 10
# Letters and digits that cannot be read as one another (no 0/o, 1/l/i).
RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'
RECOVERY_GROUP = 4
TOTP_CODE = re.compile(r'[0-9]{6}')
RECOVERY_CODE = re.compile(f'[{RECOVERY_ALPHABET}]{{{2 * RECOVERY_GROUP}}}')


def clock():
    """The time now, in seconds: the tests replace it to move time."""
    return time.time()


def normalise_code(code):
    """A code as typed, without spaces or dashes, in lower case."""
    if not isinstance(code, str):
        return ''
    return re.sub(r'[\s-]', '', code).lower()


class TwoStep(db.Model):
    """A user's authenticator app. The row is made when the user has
    typed the password again; two-step sign-in is on once a code from the
    app has been accepted (enabled_at)."""
    __tablename__ = 'two_step'
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey('users.id', ondelete='CASCADE'), unique=True)
    # Base32, as authenticator apps take it: 32 characters are 160 bits,
    # the length RFC 4226 recommends.
    secret: so.Mapped[str] = so.mapped_column(sa.String(32))
    enabled_at: so.Mapped[Optional[datetime]]
    # The time step of the last code accepted: it, and any before it, is
    # refused from then on (RFC 6238, section 5.2).
    last_counter: so.Mapped[Optional[int]] = so.mapped_column(sa.BigInteger)

    @staticmethod
    def of(user):
        """The user's row, on or being set up; None if there is none."""
        return db.session.scalar(
            sa.select(TwoStep).where(TwoStep.user_id == user.id))

    @staticmethod
    def enabled_for(user):
        """True if logging in as `user` needs a second step."""
        row = TwoStep.of(user)
        return row is not None and row.enabled_at is not None

    @staticmethod
    def begin(user):
        """A new secret for `user`, to be confirmed with a code; any one
        being set up before is replaced. None if it is on already."""
        row = TwoStep.of(user)
        if row is None:
            row = TwoStep(user_id=user.id)
        elif row.enabled_at is not None:
            return None
        row.secret = pyotp.random_base32()
        row.last_counter = None
        db.session.add(row)
        return row

    @property
    def totp(self):
        return pyotp.TOTP(self.secret)

    def provisioning_uri(self, email):
        return self.totp.provisioning_uri(name=email, issuer_name=ISSUER)

    def matching_counter(self, code):
        """The time step within the drift that `code` is the code of, or
        None."""
        code = normalise_code(code)
        if not TOTP_CODE.fullmatch(code):
            return None
        totp = self.totp
        now = totp.timecode(datetime.fromtimestamp(clock(), timezone.utc))
        found = None
        for counter in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
            if hmac.compare_digest(totp.generate_otp(counter), code):
                found = counter
        return found

    def accept(self, code):
        """True if `code` is a current code of the app that has not been
        used: this and every earlier one is used from now on."""
        counter = self.matching_counter(code)
        if counter is None:
            return False
        # In one UPDATE, so that two requests with the same code cannot
        # both be accepted: the second finds the counter moved on.
        result = db.session.execute(
            sa.update(TwoStep)
            .where(TwoStep.id == self.id,
                   sa.or_(TwoStep.last_counter.is_(None),
                          TwoStep.last_counter < counter))
            .values(last_counter=counter)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            return False
        self.last_counter = counter
        return True

    def enable(self, code):
        """Turn two-step sign-in on if `code` is the app's current code."""
        if self.enabled_at is not None or not self.accept(code):
            return False
        self.enabled_at = utcnow()
        db.session.add(self)
        return True

    @staticmethod
    def disable(user):
        """Turn it off: the app's secret and the recovery codes go."""
        db.session.execute(sa.delete(RecoveryCode).where(
            RecoveryCode.user_id == user.id))
        db.session.execute(sa.delete(TwoStep).where(
            TwoStep.user_id == user.id))

    def __repr__(self):
        return f'<TwoStep of user {self.user_id}>'


def recovery_hash(code):
    """The stored form of a recovery code. They are random, so a fast
    hash is enough: nobody can try every code against it."""
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def new_recovery_code():
    chars = ''.join(secrets.choice(RECOVERY_ALPHABET)
                    for _ in range(2 * RECOVERY_GROUP))
    return chars[:RECOVERY_GROUP] + '-' + chars[RECOVERY_GROUP:]


class RecoveryCode(db.Model):
    """One single-use code that stands in for the authenticator app."""
    __tablename__ = 'recovery_codes'
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey('users.id', ondelete='CASCADE'), index=True)
    code_hash: so.Mapped[str] = so.mapped_column(sa.String(64))

    @staticmethod
    def new_set(user):
        """Ten new codes for `user`, in place of any before; the codes
        themselves are returned once and never stored."""
        db.session.execute(sa.delete(RecoveryCode).where(
            RecoveryCode.user_id == user.id))
        codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
        db.session.add_all(RecoveryCode(user_id=user.id,
                                        code_hash=recovery_hash(code))
                           for code in codes)
        return codes

    @staticmethod
    def count(user):
        return db.session.scalar(
            sa.select(sa.func.count(RecoveryCode.id))
            .where(RecoveryCode.user_id == user.id))

    @staticmethod
    def use(user, code):
        """True if `code` is one of the user's unused recovery codes; it
        is used up."""
        if not RECOVERY_CODE.fullmatch(normalise_code(code)):
            return False
        wanted = recovery_hash(code)
        rows = db.session.execute(
            sa.select(RecoveryCode.id, RecoveryCode.code_hash)
            .where(RecoveryCode.user_id == user.id)).all()
        found = None
        for row in rows:
            if hmac.compare_digest(row.code_hash, wanted):
                found = row.id
        if found is None:
            return False
        # Deleted in one statement: of two requests with the same code,
        # only one deletes the row.
        result = db.session.execute(
            sa.delete(RecoveryCode).where(RecoveryCode.id == found)
            .execution_options(synchronize_session=False))
        return result.rowcount == 1

    def __repr__(self):
        return f'<RecoveryCode {self.id} of user {self.user_id}>'


def check_code(user, code):
    """How `code` lets `user` through the second step: 'app' for a code
    of the authenticator app, 'recovery' for a recovery code (now used
    up), None if it does not."""
    row = TwoStep.of(user)
    if row is None or row.enabled_at is None:
        return None
    if row.accept(code):
        return 'app'
    if RecoveryCode.use(user, code):
        return 'recovery'
    return None
