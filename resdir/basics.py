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
