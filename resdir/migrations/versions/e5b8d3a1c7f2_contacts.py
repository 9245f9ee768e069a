"""contacts and their phones

Revision ID: e5b8d3a1c7f2
Revises: c3d5e7f9a1b2
Create Date: 2026-12-01 19:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5b8d3a1c7f2'
down_revision = 'c3d5e7f9a1b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contact',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.Column('service_id', sa.String(length=36), nullable=True),
    sa.Column('location_id', sa.String(length=36), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('department', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=300), nullable=True),
    sa.Column('source_key', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_contact_location_id_location')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_contact_organization_id_organization')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_contact_service_id_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact')),
    sa.UniqueConstraint('source_key', name=op.f('uq_contact_source_key'))
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_service_id'), ['service_id'], unique=False)
    with op.batch_alter_table('phone', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_id', sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f('ix_phone_contact_id'), ['contact_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_phone_contact_id_contact'), 'contact', ['contact_id'], ['id'])


def downgrade():
    with op.batch_alter_table('phone', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_phone_contact_id_contact'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_phone_contact_id'))
        batch_op.drop_column('contact_id')
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_service_id'))
        batch_op.drop_index(batch_op.f('ix_contact_organization_id'))
    op.drop_table('contact')
