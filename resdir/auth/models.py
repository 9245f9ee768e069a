"""People, their sessions and API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from resdir.basics import new_id, utcnow
from resdir.directory.models import Organization
from resdir.extensions import db

ROLES = ("admin", "coordinator", "agency")


class CareOrganization(db.Model):
    """A clinic, hospital or health plan whose coordinators refer clients.

    Kept apart from the directory's organizations: a care organization is not a listing.
    """

    __tablename__ = "care_organization"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class User(db.Model):
    __tablename__ = "app_user"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    # Exactly one of these, by role: coordinators belong to a care organization, agency
    # staff to the directory organization whose listings they keep. Admins to neither.
    care_organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("care_organization.id"), index=True
    )
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # sha256 of a one-time set-password link token, and when it stops working.
    setup_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    setup_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Wrong authenticator codes in a row, and until when the second step is locked after
    # too many (resdir/auth/operations.py). Counted in the database so every worker agrees.
    second_factor_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    second_factor_locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    care_organization: Mapped[CareOrganization | None] = relationship()
    organization: Mapped[Organization | None] = relationship()

    @property
    def organization_key(self) -> str | None:
        """The organization this user acts for (care or directory), for audit rows."""
        return self.care_organization_id or self.organization_id


class UserSession(db.Model):
    """A signed-in browser. The cookie holds only a random token; this row is the truth,
    so logout, deactivation and idle time end a session for real."""

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    second_factor_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Program ids a coordinator picked while searching (resdir.referrals.picks): kept here,
    # on the server, so they never travel in URLs and end with the session.
    picks: Mapped[list | None] = mapped_column(JSON)

    user: Mapped[User] = relationship()


class ApiToken(db.Model):
    __tablename__ = "api_token"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class RateLimitCounter(db.Model):
    """One fixed-window rate-limit counter (see resdir/auth/throttle.py). `key` is the
    sha256 of Flask-Limiter's key; `expires_at` is when the window ends, in epoch seconds."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
