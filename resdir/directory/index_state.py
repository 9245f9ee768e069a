"""What state this node's search index is in: its log lag (for /healthz and the CLI), and
its drift from the database (`resdir check-index`), with the repair."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app

from resdir.directory import changelog
from resdir.directory.changelog import Position
from resdir.directory.documents import documents
from resdir.directory.indexing import search_index
from resdir.extensions import db


def pending_count() -> int:
    """Log rows this node's index has not applied."""
    count, _ = changelog.lag(Position.of(search_index().position()))
    db.session.rollback()
    return count


def health(database_ok: bool = True) -> dict:
    """This node's index: present, its generation and position, log rows not applied and
    the age of the oldest one (None when the database cannot be asked)."""
    index = search_index()
    position = Position.of(index.position())
    out = {"present": index.exists(), "generation": index.generation(),
           "applied_seq": position.seq, "latest_seq": None, "pending": None,
           "lag_seconds": None}
    if database_ok:
        out["pending"], oldest = changelog.lag(position)
        out["latest_seq"] = changelog.latest_seq()
        out["lag_seconds"] = _age_seconds(oldest) if oldest is not None else 0.0
    return out


def _age_seconds(when: datetime) -> float:
    if when.tzinfo is None:  # SQLite gives back naive UTC
        when = when.replace(tzinfo=UTC)
    return round(max(0.0, (datetime.now(UTC) - when).total_seconds()), 1)


def drift() -> dict[str, list[str]]:
    """Compare database and index: ids missing from the index, extra, or out of date."""
    tz = current_app.config["RESDIR_DEFAULT_TIMEZONE"]
    expected = {d.id: d.stamp for d in documents(None, tz)}
    indexed = search_index().stamps()
    return {
        "missing": sorted(set(expected) - set(indexed)),
        "extra": sorted(set(indexed) - set(expected)),
        "stale": sorted(i for i in set(expected) & set(indexed) if expected[i] != indexed[i]),
    }


def repair(found: dict[str, list[str]]) -> None:
    """Rewrite the documents that :func:`drift` found missing or stale; drop extra ones."""
    tz = current_app.config["RESDIR_DEFAULT_TIMEZONE"]
    docs = list(documents(sorted(set(found["missing"]) | set(found["stale"])), tz))
    search_index().update(docs, delete_ids=found["extra"])
