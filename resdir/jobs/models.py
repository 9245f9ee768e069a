"""Leases: which process may run a scheduled job now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from resdir.extensions import db


class JobLease(db.Model):
    """One row per job. A process runs the job only while it holds the row's lease:
    `holder` set to it and `expires_at` in the future (resdir/jobs/operations.py)."""

    __tablename__ = "job_lease"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
