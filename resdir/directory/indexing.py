"""Keeping the search index in step with the database, through the index outbox.

Any flush that touches a program (or its organization, location, hours...) writes outbox
rows in the same transaction. After commit, :func:`apply_pending` rewrites those programs'
documents and deletes the rows it applied; if the index write fails the rows stay, and the
next commit, `resdir sync-index` or `resdir check-index --repair` applies them again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import delete, event, func, select

from resdir.directory import models as m
from resdir.directory.documents import documents
from resdir.extensions import db
from resdir.search import SearchIndex

log = logging.getLogger(__name__)

_CHILDREN = (
    m.Phone, m.Schedule, m.ServiceArea, m.Language, m.RequiredDocument, m.CostOption,
    m.Eligibility, m.ServiceAtLocation,
)


def search_index() -> SearchIndex:
    """The app's SearchIndex (one per process, so searchers stay open between requests)."""
    ext = current_app.extensions
    if "resdir_index" not in ext:
        ext["resdir_index"] = SearchIndex(current_app.config["RESDIR_INDEX_DIR"])
    return ext["resdir_index"]


def _affected(session, obj) -> set[str]:
    if isinstance(obj, m.Service):
        return {obj.id} if obj.id else set()
    if isinstance(obj, _CHILDREN):
        return {obj.service_id} if obj.service_id else set()
    if isinstance(obj, m.Attribute) and obj.link_entity == "service" and obj.link_id:
        return {obj.link_id}
    if isinstance(obj, m.Organization) and obj.id:
        return set(session.scalars(select(m.Service.id).where(m.Service.organization_id == obj.id)))
    location_id = obj.id if isinstance(obj, m.Location) else getattr(obj, "location_id", None)
    if isinstance(obj, m.Location | m.Address) and location_id:
        return set(
            session.scalars(
                select(m.ServiceAtLocation.service_id).where(
                    m.ServiceAtLocation.location_id == location_id
                )
            )
        )
    return set()


def _record_changes(session, flush_context, instances) -> None:
    ids: set[str] = set()
    with session.no_autoflush:
        for obj in (*session.new, *session.dirty, *session.deleted):
            if isinstance(obj, m.IndexOutbox):
                continue
            if isinstance(obj, m.Service) and obj.id is None:
                obj.id = m.new_id()  # the outbox needs the id now, not at INSERT time
            ids |= _affected(session, obj)
    ids -= session.info.setdefault("outboxed", set())
    if ids:
        session.info["outboxed"] |= ids
        session.add_all(m.IndexOutbox(service_id=i) for i in sorted(ids))


def _forget(session) -> None:
    session.info.pop("outboxed", None)


def init_app(app) -> None:
    session_cls = db.session.session_factory.class_
    if not event.contains(session_cls, "before_flush", _record_changes):
        event.listen(session_cls, "before_flush", _record_changes)
        event.listen(session_cls, "after_commit", _forget)
        event.listen(session_cls, "after_rollback", _forget)


def commit() -> None:
    """Commit the session, then bring the index up to date (when INDEX_SYNC is on)."""
    db.session.commit()
    if current_app.config["RESDIR_INDEX_SYNC"]:
        apply_pending()


def apply_pending(limit: int = 5000) -> int:
    """Apply outbox rows to the index; return how many programs were rewritten."""
    total = 0
    try:
        while True:
            rows = db.session.execute(
                select(m.IndexOutbox.id, m.IndexOutbox.service_id)
                .order_by(m.IndexOutbox.id)
                .limit(limit)
            ).all()
            db.session.rollback()  # end the read before the (slow) index write
            if not rows:
                return total
            ids = sorted({r.service_id for r in rows})
            tz = current_app.config["RESDIR_DEFAULT_TIMEZONE"]
            docs = list(documents(ids, tz))
            gone = set(ids) - {d.id for d in docs}
            search_index().update(docs, delete_ids=sorted(gone))
            db.session.execute(
                delete(m.IndexOutbox).where(m.IndexOutbox.id <= max(r.id for r in rows))
                .where(m.IndexOutbox.service_id.in_(ids))
            )
            db.session.commit()
            total += len(ids)
    except Exception:
        db.session.rollback()
        # The outbox rows remain: the next sync applies them. The data is safe.
        log.exception("search index update failed; %d program(s) wait in the outbox", total)
        return total


def pending_count() -> int:
    return db.session.query(m.IndexOutbox).count()


def health(database_ok: bool = True) -> dict:
    """This node's index: present, its generation, changes not applied and the age of
    the oldest one (None when the database cannot be asked)."""
    index = search_index()
    out = {"present": index.exists(), "generation": index.generation(),
           "pending": None, "lag_seconds": None}
    if database_ok:
        pending, oldest = db.session.execute(
            select(func.count(m.IndexOutbox.id), func.min(m.IndexOutbox.created_at))
        ).one()
        out["pending"] = pending
        out["lag_seconds"] = _age_seconds(oldest) if oldest is not None else 0.0
    return out


def _age_seconds(when: datetime) -> float:
    if when.tzinfo is None:  # SQLite gives back naive UTC
        when = when.replace(tzinfo=UTC)
    return round(max(0.0, (datetime.now(UTC) - when).total_seconds()), 1)


def reindex(procs: int = 1) -> int:
    """Build a new index from the whole database beside the old one, then swap it in."""
    last = db.session.scalar(select(func.max(m.IndexOutbox.id))) or 0
    db.session.rollback()
    tz = current_app.config["RESDIR_DEFAULT_TIMEZONE"]
    count = search_index().rebuild(documents(None, tz), procs=procs)
    # Changes committed while the build ran keep their outbox rows and are applied now.
    db.session.execute(delete(m.IndexOutbox).where(m.IndexOutbox.id <= last))
    db.session.commit()
    apply_pending()
    return count


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
