import functools
import secrets
import unicodedata
from datetime import datetime, timedelta, timezone
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, g, has_app_context, request
from email_validator import validate_email
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


def normalise_password(password):
    """Passwords are compared as people type them: NFKC, as NIST SP
    800-63B advises, makes the same text typed on any keyboard one text."""
    return unicodedata.normalize('NFKC', password)


def password_forms(password):
    """The password normalised, then as typed if that differs: a hash
    made before passwords were normalised took the text as typed."""
    normal = normalise_password(password)
    return [normal] if normal == password else [normal, password]


def canonical_email(email):
    """The one form of an address that is stored, compared and mailed
    to: email-validator's normalised address (only ASCII before the @, as
    plain SMTP needs), the domain in its IDNA 2008 ASCII form (xn--...),
    in lower case. Raises a ValueError if `email` is not an address.

    Flask-Mail then sends to it as it is: it would encode a Unicode
    domain with IDNA 2003, which names another domain for some (faß.de
    becomes fass.de).
    """
    return validate_email(email.strip(), check_deliverability=False,
                          allow_smtputf8=False).ascii_email.lower()


def new_link_stamp():
    return secrets.token_urlsafe(16)


def utcnow():
    """The time in UTC, without a time zone, as every database keeps it."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


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
    # Carried by every emailed link, and replaced whenever the password or
    # the email changes: the links made before then die, and stay dead.
    link_stamp: so.Mapped[str] = so.mapped_column(
        sa.String(32), default=new_link_stamp)
    # When an email change was last undone: older undo links are dead.
    email_restored_at: so.Mapped[Optional[datetime]]
    # As in the book's chapter 10; shown on the Account page.
    member_since: so.Mapped[Optional[datetime]] = so.mapped_column(
        default=utcnow)
    # The language chosen with the switcher ('en', 'zh_TW'); None: the
    # browser's. Emails to the user are written in it.
    locale: so.Mapped[Optional[str]] = so.mapped_column(sa.String(16))

    role: so.Mapped[Optional[Role]] = so.relationship(back_populates='users')
    logins: so.WriteOnlyMapped['Login'] = so.relationship(
        back_populates='user', cascade='all, delete-orphan',
        passive_deletes=True)
    # The login this request came with (load_user and start_login set it).
    login = None

    __table_args__ = (
        # "John" and "john" are one username.
        sa.Index('ix_users_username_lower', sa.func.lower(username),
                 unique=True),
    )

    @so.validates('email')
    def _normalise_email(self, key, email):
        if email is None:
            return None
        email = canonical_email(email)
        if email != self.email:
            # A new address: the links emailed for the old one die.
            self.link_stamp = new_link_stamp()
        return email

    @property
    def password(self):
        raise AttributeError('password is not a readable attribute')

    @password.setter
    def password(self, password):
        self.password_hash = generate_password_hash(
            normalise_password(password), hash_method())
        self.link_stamp = new_link_stamp()

    def verify_password(self, password):
        return self.matching_password_form(password) is not None

    def matching_password_form(self, password):
        """The form of `password` (password_forms()) the hash was made
        from, or None if it is not this user's password."""
        if self.password_hash is None:
            return None
        for form in password_forms(password):
            if check_password_hash(self.password_hash, form):
                return form
        return None

    def get_id(self):
        # Flask-Login's "alternative id": the session and the remember-me
        # cookie hold the token of this browser's login, not the user id.
        return self.login.token if self.login is not None else None

    def start_login(self, remember=False):
        """A new login of this user, by this request's browser: a row of
        its own, which the session (and the remember-me cookie) will name.
        The view commits; expired logins of the user go at the same time.
        """
        db.session.execute(sa.delete(Login).where(
            Login.user_id == self.id, Login.last_seen < Login.cutoff()))
        now = utcnow()
        self.login = Login(
            user=self, token=secrets.token_urlsafe(32), remember=remember,
            created=now, last_seen=now, ip_address=request.remote_addr,
            user_agent=request.user_agent.string[:Login.USER_AGENT_LENGTH])
        db.session.add(self.login)
        return self.login

    def end_other_logins(self):
        """Every login of this user but the current one ends (the view
        commits)."""
        query = sa.delete(Login).where(Login.user_id == self.id)
        if self.login is not None:
            query = query.where(Login.id != self.login.id)
        db.session.execute(query)

    def generate_confirmation_token(self, expiration=3600):
        return _make_token('confirm', expiration, confirm=self.id,
                           stamp=self.link_stamp)

    def confirm(self, token):
        data = _load_token('confirm', token)
        if data is None or data.get('confirm') != self.id \
                or data.get('stamp') != self.link_stamp:
            return False
        self.confirmed = True
        db.session.add(self)
        return True

    def generate_reset_token(self, expiration=3600):
        return _make_token('reset', expiration, reset=self.id,
                           stamp=self.link_stamp)

    @staticmethod
    def from_reset_token(token):
        """The user a reset token is for, while it can still be used: it
        dies as soon as the password or the email changes."""
        data = _load_token('reset', token)
        if data is None or not isinstance(data.get('reset'), int):
            return None
        user = db.session.get(User, data['reset'])
        if user is None or data.get('stamp') != user.link_stamp:
            return None
        return user

    @staticmethod
    def reset_password(token, new_password):
        user = User.from_reset_token(token)
        if user is None:
            return False
        # The link is used once, even when it is posted twice at the same
        # time: the new password is written only where the stamp is still
        # the one the token was made for. The second request waits for
        # the first one's row lock, then finds nothing to update.
        result = db.session.execute(
            sa.update(User)
            .where(User.id == user.id, User.link_stamp == user.link_stamp)
            .values(password_hash=generate_password_hash(
                        normalise_password(new_password), hash_method()),
                    link_stamp=new_link_stamp()))
        if result.rowcount != 1:
            return False
        # Every login of the account ends with its old password.
        db.session.execute(sa.delete(Login).where(Login.user_id == user.id))
        return True

    def generate_email_change_token(self, new_email, expiration=3600):
        return _make_token('change-email', expiration,
                           change_email=self.id, new_email=new_email,
                           stamp=self.link_stamp)

    def change_email(self, token):
        data = _load_token('change-email', token)
        if data is None or data.get('change_email') != self.id \
                or data.get('stamp') != self.link_stamp:
            return False
        new_email = data.get('new_email')
        if not isinstance(new_email, str):
            return False
        try:
            new_email = canonical_email(new_email)
        except ValueError:
            return False
        taken = db.session.scalar(
            sa.select(User.id).where(User.email == new_email))
        if taken is not None:
            return False
        # A new stamp comes with the address: this link, and every other
        # one made before, dies.
        self.email = new_email
        db.session.add(self)
        return True

    # The undo link of an email change: in the notice to the old address.
    UNDO_EXPIRATION = 7 * 24 * 3600

    def generate_email_undo_token(self, old_email,
                                  expiration=UNDO_EXPIRATION):
        return _make_token('undo-email-change', expiration,
                           undo=self.id, old_email=old_email,
                           changed=utcnow().isoformat())

    @staticmethod
    def from_email_undo_token(token):
        """(user, old address) of an undo link, while it can be used: it
        outlives later changes of the address, which a thief could make
        to kill it, and dies once any undo has been done since."""
        data = _load_token('undo-email-change', token)
        if data is None or not isinstance(data.get('undo'), int) \
                or not isinstance(data.get('old_email'), str):
            return None
        try:
            changed = datetime.fromisoformat(data.get('changed'))
        except (TypeError, ValueError):
            return None
        user = db.session.get(User, data['undo'])
        if user is None or (user.email_restored_at is not None
                            and user.email_restored_at >= changed):
            return None
        return user, data['old_email']

    def undo_email_change(self, old_email):
        """Put `old_email` back, end every login and turn the password off:
        the owner sets a new one with a reset link. False if the address
        has been taken by another account since. The view commits."""
        taken = db.session.scalar(sa.select(User.id).where(
            User.email == old_email, User.id != self.id))
        if taken is not None:
            return False
        self.email = old_email
        self.password_hash = None
        self.email_restored_at = utcnow()
        db.session.execute(sa.delete(Login).where(Login.user_id == self.id))
        db.session.add(self)
        return True

    def __repr__(self):
        return f'<User {self.username!r}>'


def password_matches(user, password):
    """The login check: True if `user` exists and `password` is theirs.

    With no user, or a password turned off, a hash is checked all the
    same, so that an unknown email takes as long to refuse as a wrong
    password. A hash made with an older method, or from the password as
    typed rather than normalised, is made again (the view commits); the
    logins stay, as the password has not changed.
    """
    method = hash_method()
    if user is None or user.password_hash is None:
        check_password_hash(_reference_hash(method), password)
        return False
    form = user.matching_password_form(password)
    if form is None:
        return False
    normal = normalise_password(password)
    current = _method_of(_reference_hash(method))
    if form != normal or _method_of(user.password_hash) != current:
        user.password_hash = generate_password_hash(normal, method)
        db.session.add(user)
    return True


class Login(db.Model):
    """One login of a user in one browser. Its random token is what the
    session and the remember-me cookie hold: deleting the row ends both,
    wherever they were copied to."""
    __tablename__ = 'logins'
    USER_AGENT_LENGTH = 256
    # last_seen is written at most this often, not on every request.
    SEEN_EVERY = timedelta(minutes=5)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    token: so.Mapped[str] = so.mapped_column(
        sa.String(64), unique=True, index=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey('users.id', ondelete='CASCADE'), index=True)
    remember: so.Mapped[bool] = so.mapped_column(default=False)
    created: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_seen: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    # 45 characters hold any IPv6 address, as text.
    ip_address: so.Mapped[Optional[str]] = so.mapped_column(sa.String(45))
    user_agent: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(USER_AGENT_LENGTH))

    user: so.Mapped[User] = so.relationship(back_populates='logins')

    @staticmethod
    def cutoff():
        """A login unused since then has expired, with its remember-me
        cookie."""
        return utcnow() - current_app.config['REMEMBER_COOKIE_DURATION']

    def seen(self):
        """Note this request, if the last one was a while ago."""
        now = utcnow()
        if now - self.last_seen >= self.SEEN_EVERY:
            self.last_seen = now
            self.ip_address = request.remote_addr
            db.session.commit()

    def __repr__(self):
        return f'<Login {self.id} of user {self.user_id}>'


@login_manager.user_loader
def load_user(token):
    if not isinstance(token, str) or not token \
            or g.get('database_unavailable'):
        return None
    login = db.session.scalar(
        sa.select(Login).where(Login.token == token,
                               Login.last_seen >= Login.cutoff())
        .options(so.joinedload(Login.user)))
    if login is None:
        return None
    login.seen()
    login.user.login = login
    return login.user
