"""phone position: phones keep the order the source or the agency gave

Revision ID: d5f6a7b8c9e0
Revises: c4e5f6a7b8d9
Create Date: 2026-12-02 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd5f6a7b8c9e0'
down_revision = 'c4e5f6a7b8d9'
branch_labels = None
depends_on = None


def upgrade():
    # Rows from before keep position 0 and are ordered by id among themselves: their old
    # order was where the database kept them, which no portable query can read back.
    with op.batch_alter_table('phone') as batch:
        batch.add_column(sa.Column('position', sa.Integer(), server_default='0',
                                   nullable=False))


def downgrade():
    with op.batch_alter_table('phone') as batch:
        batch.drop_column('position')
