"""Row ids, timestamps and the checkout's folder: what every feature uses, so it sits at the
bottom of the import graph (it imports nothing of resdir)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

# The checkout (templates/, data/ and resdir/ are in it).
ROOT = Path(__file__).resolve().parent.parent


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """Now, timezone-aware in UTC (what every DateTime(timezone=True) column stores)."""
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    """The moment in UTC: SQLite gives DateTime(timezone=True) columns back naive (they
    were stored in UTC), PostgreSQL aware."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
