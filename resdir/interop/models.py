"""Import jobs: an uploaded directory file, imported in the background with progress."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from resdir.basics import new_id, utcnow
from resdir.extensions import db

STATUSES = ("queued", "running", "done", "failed")


class ImportJob(db.Model):
    """One uploaded file and what became of it. The file waits in the instance folder
    (`imports/<id>/`) until the job has run. A process runs the job only after moving it
    from `queued` to `running` in one UPDATE (resdir/interop/import_jobs.py), so two
    processes or nodes never run it twice."""

    __tablename__ = "import_job"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    filename: Mapped[str] = mapped_column(String(255))  # as uploaded (made safe)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    # An agency's upload: only this organization's listings may change.
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"))
    created_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    holder: Mapped[str | None] = mapped_column(String(200))  # host:pid running it
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # runs started
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stage: Mapped[str | None] = mapped_column(String(60))  # what it is doing now
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    ok: Mapped[bool | None] = mapped_column(Boolean)
    report: Mapped[str | None] = mapped_column(Text)  # ImportReport.as_dict() as JSON

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")
