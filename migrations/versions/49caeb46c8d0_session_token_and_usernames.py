"""session token, and usernames unique whatever their letter case

Revision ID: 49caeb46c8d0
Revises: c85e39143b1c
Create Date: 2026-11-29 16:46:49.675550

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '49caeb46c8d0'
down_revision = 'c85e39143b1c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64),
                                      nullable=True))

    # Every existing user gets a token of their own; their current
    # sessions end, as the sessions hold the user id, not the token.
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

    # An expression index. SQLite cannot reflect it, so a later batch
    # operation on `users` would silently drop it: such a migration must
    # create it again (tests/test_cli.py checks it is there at head).
    op.create_index('ix_users_username_lower', 'users',
                    [sa.text('lower(username)')], unique=True)


def downgrade():
    op.drop_index('ix_users_username_lower', table_name='users')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_session_token'))
        batch_op.drop_column('session_token')
