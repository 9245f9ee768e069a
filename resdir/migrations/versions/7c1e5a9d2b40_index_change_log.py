"""index outbox becomes an ordered change log read by every node

Revision ID: 7c1e5a9d2b40
Revises: a1f3c9e2b7d4
Create Date: 2026-12-01 18:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7c1e5a9d2b40'
down_revision = 'a1f3c9e2b7d4'
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('index_change',
    sa.Column('seq', SEQ, autoincrement=True, nullable=False),
    sa.Column('service_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_index_change')),
    sqlite_autoincrement=True,
    )
    op.create_index(op.f('ix_index_change_created_at'), 'index_change', ['created_at'])
    op.create_table('index_log_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pruned_through', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_index_log_state')),
    )
    op.execute("INSERT INTO index_log_state (id, pruned_through) VALUES (1, 0)")
    # Changes still waiting in the old outbox stay waiting, in their order.
    op.execute("INSERT INTO index_change (service_id, created_at) "
               "SELECT service_id, created_at FROM index_outbox ORDER BY id")
    with op.batch_alter_table('index_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_index_outbox_service_id'))
    op.drop_table('index_outbox')


def downgrade():
    op.create_table('index_outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('service_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_index_outbox'))
    )
    with op.batch_alter_table('index_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_index_outbox_service_id'), ['service_id'],
                              unique=False)
    op.drop_index(op.f('ix_index_change_created_at'), table_name='index_change')
    op.drop_table('index_log_state')
    op.drop_table('index_change')
