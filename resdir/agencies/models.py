"""Listing history (HSDS `metadata` style), suggestions from coordinators, and the weekly
verification requests sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from resdir.basics import new_id, utcnow
from resdir.extensions import db


class ChangeRecord(db.Model):
    """One field of one listing changed: HSDS metadata's resource, field, previous and
    replacement values, who and when."""

    __tablename__ = "change_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_type: Mapped[str] = mapped_column(String(40), default="service")
    resource_id: Mapped[str] = mapped_column(String(36), index=True)
    field_name: Mapped[str] = mapped_column(String(60))
    previous_value: Mapped[str | None] = mapped_column(Text)
    replacement_value: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reverts: Mapped[int | None] = mapped_column(Integer)  # the change this one undid


class Suggestion(db.Model):
    """"Suggest an edit" or "report a problem" on a program, for its agency to handle."""

    __tablename__ = "suggestion"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "edit" or "problem"
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="open")  # accepted, dismissed
    handled_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class VerificationRequest(db.Model):
    """Makes `send-verification-requests` idempotent per organization and ISO week."""

    __tablename__ = "verification_request"
    __table_args__ = (UniqueConstraint("organization_id", "week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id"))
    week: Mapped[str] = mapped_column(String(10))  # e.g. 2026-W48
