"""Row ids and timestamps: what every feature's models use, so it sits at the bottom of the
import graph (it imports nothing of resdir)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """Now, timezone-aware in UTC (what every DateTime(timezone=True) column stores)."""
    return datetime.now(UTC)
