"""import jobs: uploaded directory files imported in the background; location (lat, lon) index

Revision ID: b1c2d3e4f5a6
Revises: a7d1c0e5f3b9
Create Date: 2026-12-02 00:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b1c2d3e4f5a6'
down_revision = 'a7d1c0e5f3b9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_job',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('holder', sa.String(length=200), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stage', sa.String(length=60), nullable=True),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=True),
    sa.Column('report', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'],
                            name=op.f('fk_import_job_created_by_app_user')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'],
                            name=op.f('fk_import_job_organization_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_job'))
    )
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_job_created_by'), ['created_by'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_import_job_status'), ['status'], unique=False)
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.create_index('ix_location_latitude_longitude', ['latitude', 'longitude'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.drop_index('ix_location_latitude_longitude')
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_job_status'))
        batch_op.drop_index(batch_op.f('ix_import_job_created_by'))
    op.drop_table('import_job')
