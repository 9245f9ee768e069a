"""Clients of a care organization, their needs and screenings, and the need crosswalk.

Client data is protected health information: only the client's care organization (and
admins) may read it, through resdir.auth.policy, and every read and change is audited.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from resdir.basics import new_id, utcnow
from resdir.extensions import db


class Client(db.Model):
    __tablename__ = "client"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    care_organization_id: Mapped[str] = mapped_column(
        ForeignKey("care_organization.id"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(200))
    # The facts under the API's names (resdir.matching.facts): minimum necessary, all optional.
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    # How to reach the client (resdir.matching.contact): kept apart from the facts, so
    # matching never reads it and an agency sees it only when consent covers contact.
    contact: Mapped[dict | None] = mapped_column(JSON)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    needs: Mapped[list[ClientNeed]] = relationship(
        cascade="all, delete-orphan", order_by="ClientNeed.id"
    )
    screenings: Mapped[list[Screening]] = relationship(
        cascade="all, delete-orphan", order_by="Screening.screened_at.desc()"
    )


class ClientNeed(db.Model):
    __tablename__ = "client_need"
    __table_args__ = (UniqueConstraint("client_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("client.id"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    source: Mapped[str] = mapped_column(String(20))  # "selected" or "screening"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Screening(db.Model):
    """A CMS AHC HRSN core screening as answered, with its scoring, date and screener."""

    __tablename__ = "screening"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("client.id"), index=True)
    screener_id: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    screened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answers: Mapped[dict] = mapped_column(JSON)
    result: Mapped[dict] = mapped_column(JSON)


class NeedCategory(db.Model):
    """The crosswalk from a need code to a resdir category; seeded from data/sdoh_needs.csv,
    edited by admins."""

    __tablename__ = "need_category"

    need_code: Mapped[str] = mapped_column(String(60), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
