"""rate-limit counters in the database; second-factor lockout

Revision ID: b7e2d4f1c8a9
Revises: f1a7c0de0013
Create Date: 2026-12-01 18:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7e2d4f1c8a9'
down_revision = 'f1a7c0de0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rate_limit_counter',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counter'))
    )
    with op.batch_alter_table('rate_limit_counter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limit_counter_expires_at'), ['expires_at'],
                              unique=False)
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('second_factor_failures', sa.Integer(),
                                      server_default='0', nullable=False))
        batch_op.add_column(sa.Column('second_factor_locked_until',
                                      sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('second_factor_locked_until')
        batch_op.drop_column('second_factor_failures')
    with op.batch_alter_table('rate_limit_counter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_counter_expires_at'))
    op.drop_table('rate_limit_counter')
