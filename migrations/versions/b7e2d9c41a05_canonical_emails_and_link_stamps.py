"""canonical email addresses, and a link stamp per user

Revision ID: b7e2d9c41a05
Revises: 49caeb46c8d0
Create Date: 2026-12-01 10:00:00.000000

"""
import logging
import secrets

from alembic import op
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email


# revision identifiers, used by Alembic.
revision = 'b7e2d9c41a05'
down_revision = '49caeb46c8d0'
branch_labels = None
depends_on = None

log = logging.getLogger('alembic.env')
EMAIL_LENGTH = 64


def canonical_email(email):
    """The address as app/models.py's canonical_email() makes it at this
    revision, or None if it is not a valid address."""
    try:
        return validate_email(email.strip(), check_deliverability=False,
                              allow_smtputf8=False).ascii_email.lower()
    except EmailNotValidError:
        return None


def mailed_to(email):
    """Where Flask-Mail 0.10 sent mail for `email`, in lower case: it
    encodes a non-ASCII domain with Python's 'idna' codec (IDNA 2003).
    None if it could not."""
    local, _, domain = email.lower().rpartition('@')
    try:
        return local + '@' + domain.encode('idna').decode('ascii')
    except UnicodeError:
        return None


def upgrade():
    # The expression index on lower(username) cannot be reflected on
    # SQLite, so the batch operations below would lose it: it is made
    # again at the end.
    op.drop_index('ix_users_username_lower', table_name='users')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_stamp', sa.String(length=32),
                                      nullable=True))

    users = sa.table('users', sa.column('id', sa.Integer),
                     sa.column('email', sa.String),
                     sa.column('confirmed', sa.Boolean),
                     sa.column('link_stamp', sa.String))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(users.c.id, users.c.email).order_by(users.c.id)).all()
    taken = {email for _, email in rows}
    for user_id, email in rows:
        # A new stamp: every link emailed before this revision dies.
        values = {'link_stamp': secrets.token_urlsafe(16)}
        canonical = None if email is None else canonical_email(email)
        if email is None or canonical == email:
            pass
        elif canonical is None or len(canonical) > EMAIL_LENGTH:
            log.warning('user %s: email left as it is: no valid address '
                        'that fits the column', user_id)
        elif canonical in taken:
            # An earlier row, or one already in that form, keeps it.
            log.warning('user %s: email left as it is: another user has '
                        'it in canonical form', user_id)
        else:
            values['email'] = canonical
            taken.add(canonical)
            if mailed_to(email) != canonical:
                # Its mail went to another domain: the account was never
                # confirmed at this address.
                values['confirmed'] = False
        conn.execute(users.update().where(users.c.id == user_id)
                     .values(**values))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('link_stamp', existing_type=sa.String(32),
                              nullable=False)
    op.create_index('ix_users_username_lower', 'users',
                    [sa.text('lower(username)')], unique=True)


def downgrade():
    # The addresses stay in canonical form: each names the same mailbox,
    # and the code before this revision sends to an ASCII address as it is.
    op.drop_index('ix_users_username_lower', table_name='users')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('link_stamp')
    op.create_index('ix_users_username_lower', 'users',
                    [sa.text('lower(username)')], unique=True)
