"""Referrals, their consent, their append-only timeline, and reminders sent."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from resdir.basics import new_id, utcnow
from resdir.extensions import db

PRIORITIES = ("routine", "urgent")
CONTACT = ("phone", "email", "text", "in-person", "do-not-contact")


class Referral(db.Model):
    __tablename__ = "referral"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("client.id"), index=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id"))
    need_code: Mapped[str] = mapped_column(String(60), index=True)
    care_organization_id: Mapped[str] = mapped_column(
        ForeignKey("care_organization.id"), index=True)
    referrer_id: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    agency_organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id"),
                                                        index=True)
    note: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(String(10), default="routine")
    contact_preference: Mapped[str] = mapped_column(String(20), default="phone")
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    status_reason: Mapped[str | None] = mapped_column(String(40))
    reason_text: Mapped[str | None] = mapped_column(Text)
    outcome_enrollment: Mapped[str | None] = mapped_column(String(40))
    outcome_provided: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    consent: Mapped[Consent | None] = relationship(uselist=False, cascade="all, delete-orphan")
    events: Mapped[list[ReferralEvent]] = relationship(order_by="ReferralEvent.id")


class Consent(db.Model):
    """The client's consent to share their details with the agency."""

    __tablename__ = "consent"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referral.id"), unique=True)
    given: Mapped[bool] = mapped_column(Boolean, default=False)
    given_by: Mapped[str] = mapped_column(String(20), default="client")  # or guardian
    method: Mapped[str | None] = mapped_column(String(20))  # verbal, written, electronic
    scope: Mapped[str | None] = mapped_column(Text)  # what may be shared
    # Whether the client agreed that the agency may see how to reach them (phone, e-mail,
    # address, preferred contact); without it the agency works through the coordinator.
    contact: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    recorded_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReferralEvent(db.Model):
    """One change on a referral's timeline; never changed or deleted."""

    __tablename__ = "referral_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referral.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    side: Mapped[str | None] = mapped_column(String(10))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)


class ReminderSent(db.Model):
    """Makes `send-reminders` idempotent per referral and day."""

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("referral_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referral.id"))
    day: Mapped[date] = mapped_column(Date)


class ReferralSeen(db.Model):
    """When a person last opened a referral: the lists mark what changed since then."""

    __tablename__ = "referral_seen"
    __table_args__ = (UniqueConstraint("user_id", "referral_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referral.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
