"""What resdir keeps only for its FHIR face: Procedures agencies post, and the Task's
businessStatus (resdir's own pages have no such field)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from resdir.basics import new_id, utcnow
from resdir.extensions import db


class ReferralProcedure(db.Model):
    """An SDOHCC Procedure: what the agency delivered for a referral (`basedOn` its
    ServiceRequest). Kept as sent after checking; never changed."""

    __tablename__ = "referral_procedure"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referral.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    code_text: Mapped[str | None] = mapped_column(Text)  # display or text, for pages
    # In Task.output once the owner's Task update names it (as the IG's completed Task).
    in_output: Mapped[bool] = mapped_column(Boolean, default=False)
    resource: Mapped[dict] = mapped_column(JSON)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TaskState(db.Model):
    """Task.businessStatus as the agency system last set it."""

    __tablename__ = "referral_task_state"

    referral_id: Mapped[str] = mapped_column(ForeignKey("referral.id"), primary_key=True)
    business_status: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)
