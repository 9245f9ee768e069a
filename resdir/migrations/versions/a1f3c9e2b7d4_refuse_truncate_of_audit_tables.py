"""refuse TRUNCATE of the append-only tables (PostgreSQL)

Row triggers refuse UPDATE and DELETE, but TRUNCATE fires no row trigger: without a
statement-level trigger `TRUNCATE audit_event` (or `TRUNCATE referral CASCADE`, which
reaches referral_event) emptied the log. SQLite has no TRUNCATE; its `DELETE FROM t`
fast path is already refused by the row triggers.

Revision ID: a1f3c9e2b7d4
Revises: 53d0119efd7a
Create Date: 2026-12-01 18:00:00

"""
from alembic import op


revision = 'a1f3c9e2b7d4'
down_revision = '53d0119efd7a'
branch_labels = None
depends_on = None

TABLES = ("audit_event", "referral_event")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # resdir_audit_append_only() (first migration) raises '<table> is append-only'.
    for table in TABLES:
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION resdir_audit_append_only()")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
