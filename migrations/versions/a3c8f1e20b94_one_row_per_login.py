"""one row per login, in place of the user's session token; when an email
change was last undone

Revision ID: a3c8f1e20b94
Revises: b7e2d9c41a05
Create Date: 2026-12-01 10:30:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c8f1e20b94'
down_revision = 'b7e2d9c41a05'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'logins',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('remember', sa.Boolean(), nullable=False),
        sa.Column('created', sa.DateTime(), nullable=False),
        sa.Column('last_seen', sa.DateTime(), nullable=False),
        sa.Column('ip_address', sa.String(length=45), nullable=True),
        sa.Column('user_agent', sa.String(length=256), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('logins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_logins_token'), ['token'],
                              unique=True)
        batch_op.create_index(batch_op.f('ix_logins_user_id'), ['user_id'],
                              unique=False)

    # The sessions of today hold the session token: they end, and their
    # users log in again.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_session_token'))
        batch_op.drop_column('session_token')
        batch_op.add_column(sa.Column('email_restored_at', sa.DateTime(),
                                      nullable=True))
    # A batch operation on SQLite loses this expression index, which it
    # cannot reflect (see 49caeb46c8d0): make it again.
    if op.get_bind().dialect.name == 'sqlite':
        op.create_index('ix_users_username_lower', 'users',
                        [sa.text('lower(username)')], unique=True)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_restored_at')
        batch_op.add_column(sa.Column('session_token', sa.String(length=64),
                                      nullable=True))
    users = sa.table('users', sa.column('id', sa.Integer),
                     sa.column('session_token', sa.String))
    conn = op.get_bind()
    for (user_id,) in conn.execute(sa.select(users.c.id)).all():
        conn.execute(users.update().where(users.c.id == user_id).values(
            session_token=secrets.token_urlsafe(32)))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('session_token',
                              existing_type=sa.String(length=64),
                              nullable=False)
        batch_op.create_index(batch_op.f('ix_users_session_token'),
                              ['session_token'], unique=True)
    if conn.dialect.name == 'sqlite':
        op.create_index('ix_users_username_lower', 'users',
                        [sa.text('lower(username)')], unique=True)

    with op.batch_alter_table('logins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_logins_user_id'))
        batch_op.drop_index(batch_op.f('ix_logins_token'))
    op.drop_table('logins')
