"""The editable taxonomy crosswalk and the review queue of suggested categories."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from resdir.basics import utcnow
from resdir.extensions import db


class CrosswalkRule(db.Model):
    """One row of data/taxonomy_crosswalk.csv, as admins may have changed it.

    scheme: `name` (a term's name, any taxonomy), `oe-id` (Ohana's `101-02-01`), `oe-code`
    (Open Eligibility's 4-digit `1119`), `airs` (an AIRS/211 LA code prefix such as `BD` or
    `PH-1250`). category: a category slug, or None for "no category, stop looking"."""

    __tablename__ = "category_crosswalk"
    __table_args__ = (UniqueConstraint("scheme", "match"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scheme: Mapped[str] = mapped_column(String(20))
    match: Mapped[str] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(200))


class CategoryReview(db.Model):
    """A program whose categories came from its text with low confidence, or that an admin
    decided. status: `pending` (waiting for an admin), `accepted` or `corrected`; a decided
    row's categories are kept through re-imports of the program."""

    __tablename__ = "category_review"

    service_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    suggested: Mapped[str] = mapped_column(String(300))  # ";" slugs
    confidence: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str | None] = mapped_column(Text)  # the words that decided
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    decided: Mapped[str | None] = mapped_column(String(300))  # ";" slugs an admin chose
    decided_by: Mapped[str | None] = mapped_column(String(36))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
