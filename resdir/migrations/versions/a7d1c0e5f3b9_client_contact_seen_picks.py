"""client contact details, consent to share them, referrals seen, picked programs

Revision ID: a7d1c0e5f3b9
Revises: e5b8d2c4a6f1
Create Date: 2026-12-01 21:20:00

Issue 10: a client's phone, e-mail, preferred contact and address (one JSON object beside the
facts, so matching never reads it); whether a referral's consent covers sharing them; when
each person last opened each referral (the "changed" marker on the lists); and the programs a
coordinator picked, kept with their server-side session rather than in URLs.
"""
from alembic import op
import sqlalchemy as sa


revision = 'a7d1c0e5f3b9'
down_revision = 'e5b8d2c4a6f1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('client') as batch:
        batch.add_column(sa.Column('contact', sa.JSON(), nullable=True))
    with op.batch_alter_table('consent') as batch:
        batch.add_column(sa.Column('contact', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table('user_session') as batch:
        batch.add_column(sa.Column('picks', sa.JSON(), nullable=True))
    op.create_table('referral_seen',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('referral_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_referral_seen_referral_id_referral')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_referral_seen_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_seen')),
    sa.UniqueConstraint('user_id', 'referral_id', name=op.f('uq_referral_seen_user_id'))
    )


def downgrade():
    op.drop_table('referral_seen')
    with op.batch_alter_table('user_session') as batch:
        batch.drop_column('picks')
    with op.batch_alter_table('consent') as batch:
        batch.drop_column('contact')
    with op.batch_alter_table('client') as batch:
        batch.drop_column('contact')
