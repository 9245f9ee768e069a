"""FHIR: Procedures agencies post, Task businessStatus

Revision ID: f1a7c0de0013
Revises: c4a7e2f19b30
Create Date: 2026-12-01 18:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f1a7c0de0013'
down_revision = 'c4a7e2f19b30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('referral_procedure',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('referral_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('code_text', sa.Text(), nullable=True),
    sa.Column('in_output', sa.Boolean(), nullable=False),
    sa.Column('resource', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_referral_procedure_referral_id_referral')),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_referral_procedure_created_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_procedure'))
    )
    with op.batch_alter_table('referral_procedure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_procedure_referral_id'), ['referral_id'], unique=False)
    op.create_table('referral_task_state',
    sa.Column('referral_id', sa.String(length=36), nullable=False),
    sa.Column('business_status', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_referral_task_state_referral_id_referral')),
    sa.PrimaryKeyConstraint('referral_id', name=op.f('pk_referral_task_state'))
    )


def downgrade():
    op.drop_table('referral_task_state')
    with op.batch_alter_table('referral_procedure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_procedure_referral_id'))
    op.drop_table('referral_procedure')
