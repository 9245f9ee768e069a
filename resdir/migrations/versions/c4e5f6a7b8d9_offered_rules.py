"""offered rules: which shipped crosswalk rules a database has been offered (resdir/shipped.py)

Revision ID: c4e5f6a7b8d9
Revises: b1c2d3e4f5a6
Create Date: 2026-12-02 03:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4e5f6a7b8d9'
down_revision = 'b1c2d3e4f5a6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('offered_rule',
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'key', name=op.f('pk_offered_rule'))
    )
    # A database made before this table: what it holds now counts as offered (an admin's
    # rule is never overwritten). A shipped rule it lacks is offered once at the next
    # init-db, which lists what it adds; an admin who had deleted it deletes it again.
    op.execute("INSERT INTO offered_rule (kind, key) SELECT 'taxonomy-crosswalk', "
               "scheme || ':' || match FROM category_crosswalk")
    op.execute("INSERT INTO offered_rule (kind, key) SELECT 'need-crosswalk', "
               "need_code || ':' || category FROM need_category")


def downgrade():
    op.drop_table('offered_rule')
