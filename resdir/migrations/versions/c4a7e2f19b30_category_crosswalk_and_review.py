"""category crosswalk and review queue

Revision ID: c4a7e2f19b30
Revises: 7c1e5a9d2b40
Create Date: 2026-12-01 18:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4a7e2f19b30'
down_revision = '7c1e5a9d2b40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('category_crosswalk',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('scheme', sa.String(length=20), nullable=False),
    sa.Column('match', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category_crosswalk')),
    sa.UniqueConstraint('scheme', 'match', name=op.f('uq_category_crosswalk_scheme'))
    )
    op.create_table('category_review',
    sa.Column('service_id', sa.String(length=36), nullable=False),
    sa.Column('suggested', sa.String(length=300), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decided', sa.String(length=300), nullable=True),
    sa.Column('decided_by', sa.String(length=36), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('service_id', name=op.f('pk_category_review'))
    )
    with op.batch_alter_table('category_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_category_review_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('category_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_category_review_status'))
    op.drop_table('category_review')
    op.drop_table('category_crosswalk')
