"""when each user registered; the language each user chose

Revision ID: d4e5f6a7b8c9
Revises: a3c8f1e20b94
Create Date: 2026-12-01 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4e5f6a7b8c9'
down_revision = 'a3c8f1e20b94'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('member_since', sa.DateTime(),
                                      nullable=True))
        batch_op.add_column(sa.Column('locale', sa.String(length=16),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locale')
        batch_op.drop_column('member_since')
    # Dropping a column makes the batch operation copy the table on
    # SQLite, which loses this expression index (see a3c8f1e20b94).
    if op.get_bind().dialect.name == 'sqlite':
        op.create_index('ix_users_username_lower', 'users',
                        [sa.text('lower(username)')], unique=True)
