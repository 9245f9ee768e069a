"""Writing and reading the audit log."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import select

from resdir.audit.models import AuditEvent
from resdir.errors import NotFound
from resdir.extensions import db

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

log = logging.getLogger(__name__)


def record(action: str, record_type: str | None = None, record_id: str | None = None, *,
           user=None, outcome: str = "ok") -> AuditEvent:
    """Add an audit event to the current transaction (commit it with the change it records).

    `user` defaults to whoever is signed in. Never pass names, contact details or needs:
    the log holds ids only.
    """
    if user is None and has_request_context():
        user = g.get("user") or g.get("pending")
    event = AuditEvent(
        user_id=user.id if user else None,
        role=user.role if user else None,
        organization_id=user.organization_key if user else None,
        action=action,
        record_type=record_type,
        record_id=record_id,
        address=request.remote_addr if has_request_context() else "cli",
        outcome=outcome,
    )
    db.session.add(event)
    return event


def record_now(action: str, record_type: str | None = None, record_id: str | None = None,
               **kwargs) -> None:
    """Record and commit at once: for reads and refusals, which have no change to join."""
    record(action, record_type, record_id, **kwargs)
    db.session.commit()


def audited_read(record_type: str, row, may_see: Callable[[Any, Any], bool], *, user,
                 missing: str, audit: bool = True):
    """`row` when `may_see(user, row)`, after committing a `<record_type>.read` event (unless
    `audit` is False: the caller records what it does with the row); NotFound(missing) when
    the row is None or hidden from the user.

    Refused reads are audited too (ASVS 16.3.2): probing other organizations' ids shows in
    the log. A missing record has no id worth keeping.
    """
    action = f"{record_type}.read"
    if row is None or not may_see(user, row):
        record_now(action, record_type, row and row.id, user=user,
                   outcome="refused" if row else "not-found")
        raise NotFound(missing)
    if audit:
        record_now(action, record_type, row.id, user=user)
    return row


def save_new(row, record_type: str, *, user) -> None:
    """Insert `row` and commit it together with its audit event `<record_type>.create`.

    The flush gives the row its id before the event names it; the log line carries ids only.
    """
    db.session.add(row)
    db.session.flush()
    record(f"{record_type}.create", record_type, row.id, user=user)
    db.session.commit()
    log.info("%s %s created by user %s", record_type, row.id, user.id)


def search(user_id: str | None = None, record_id: str | None = None,
           day_from: date | None = None, day_to: date | None = None, limit: int = 500):
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if user_id:
        query = query.where(AuditEvent.user_id == user_id)
    if record_id:
        query = query.where(AuditEvent.record_id == record_id)
    if day_from:
        query = query.where(AuditEvent.at >= datetime.combine(day_from, time(), UTC))
    if day_to:
        end = datetime.combine(day_to + timedelta(days=1), time(), UTC)
        query = query.where(AuditEvent.at < end)
    return list(db.session.scalars(query.limit(limit)))


def safe_cell(value) -> str:
    """Text a spreadsheet will not run as a formula (OWASP CSV injection advice)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


COLUMNS = ("id", "at", "user_id", "role", "organization_id", "action", "record_type",
           "record_id", "address", "outcome")


def to_csv(events) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for e in events:
        writer.writerow([safe_cell(getattr(e, c).isoformat() if c == "at" else getattr(e, c))
                         for c in COLUMNS])
    return out.getvalue()
