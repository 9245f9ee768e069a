"""name-order indexes for public lists

Revision ID: e5b8d2c4a6f1
Revises: e5b8d3a1c7f2
Create Date: 2026-12-01 18:30:00

Public lists (/hsds/services, /hsds/organizations, /hsds/service_at_locations) page in name
order; without an index every page sorted the whole table (seconds at 100,000 programs).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e5b8d2c4a6f1'
down_revision = 'e5b8d3a1c7f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_service_name_id', 'service', ['name', 'id'])
    op.create_index('ix_organization_name_id', 'organization', ['name', 'id'])


def downgrade():
    op.drop_index('ix_organization_name_id', table_name='organization')
    op.drop_index('ix_service_name_id', table_name='service')
