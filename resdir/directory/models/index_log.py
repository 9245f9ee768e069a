"""The index change log that keeps every node's search index in step with the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from resdir.basics import utcnow
from resdir.extensions import db


class IndexChange(db.Model):
    """The index change log: one row per program whose search document must be rewritten,
    written in the same transaction as the change. `seq` orders the log; every app node
    applies the rows after its index's own position (kept in the index folder), so no node
    depends on another's. Rows are kept for RESDIR_INDEX_LOG_RETENTION_HOURS, then pruned.
    """

    __tablename__ = "index_change"
    # AUTOINCREMENT: SQLite must never hand out a pruned sequence number again.
    __table_args__ = {"sqlite_autoincrement": True}

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 index=True)


# The importer's name for it (bulk inserts of new programs' log rows).
IndexOutbox = IndexChange


class IndexLogState(db.Model):
    """One row: the highest sequence number pruned from the log. A node whose position is
    below it has missed changes and rebuilds its index."""

    __tablename__ = "index_log_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pruned_through: Mapped[int] = mapped_column(BigInteger, default=0)
