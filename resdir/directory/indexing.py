"""Keeping each node's search index in step with the database, through the change log.

Any flush that touches a program (or its organization, location, hours...) writes
`index_change` rows in the same transaction. After commit, :func:`commit` rewrites only that
transaction's own programs in this node's index (a request never works off anyone else's
backlog). Every process also runs a background thread (:func:`start_sync`) that reads the
log after its index's position and applies it in bounded batches, so every node (each with
its own index folder) sees every change within about RESDIR_INDEX_POLL_SECONDS. If an index
write fails, the position stays and the next pass applies the change again.
"""

from __future__ import annotations

import logging
import time

from flask import current_app
from sqlalchemy import event, select

from resdir.basics import new_id
from resdir.directory import changelog
from resdir.directory import models as m
from resdir.directory.changelog import BATCH, Position
from resdir.directory.documents import documents
from resdir.errors import database_unavailable, error_kind
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
        ext["resdir_index"] = SearchIndex(current_app.config["RESDIR_INDEX_DIR"],
                                          current_app.config["RESDIR_SEARCH_CACHE_ENTRIES"])
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
            if isinstance(obj, m.IndexChange | m.IndexLogState):
                continue
            if isinstance(obj, m.Service) and obj.id is None:
                obj.id = new_id()  # the log row needs the id now, not at INSERT time
            ids |= _affected(session, obj)
    ids -= session.info.setdefault("changed", set())
    if ids:
        session.info["changed"] |= ids
        rows = [m.IndexChange(service_id=i) for i in sorted(ids)]
        session.info.setdefault("change_rows", []).extend(rows)
        session.add_all(rows)


def _note_seqs(session, flush_context) -> None:
    rows = session.info.pop("change_rows", None)
    if rows:
        session.info.setdefault("change_seqs", set()).update(r.seq for r in rows)


def _committed(session) -> None:
    """Keep the ids and log numbers of what this session committed, for :func:`commit`."""
    ids = session.info.pop("changed", set())
    seqs = session.info.pop("change_seqs", set())
    if ids:
        session.info.setdefault("own_ids", set()).update(ids)
        session.info.setdefault("own_seqs", set()).update(seqs)


def _forget(session) -> None:
    for key in ("changed", "change_rows", "change_seqs"):
        session.info.pop(key, None)


def init_app(app) -> None:
    session_cls = db.session.session_factory.class_
    if not event.contains(session_cls, "before_flush", _record_changes):
        event.listen(session_cls, "before_flush", _record_changes)
        event.listen(session_cls, "after_flush", _note_seqs)
        event.listen(session_cls, "after_commit", _committed)
        event.listen(session_cls, "after_rollback", _forget)
    # flask run has no worker hook: the first request starts the thread (gunicorn's
    # post_worker_init starts it before any request).
    @app.before_request
    def _ensure_sync() -> None:
        start_sync(app)


def commit() -> None:
    """Commit the session, then apply this transaction's own changes to this node's index
    (when INDEX_SYNC is on; the background thread applies them otherwise)."""
    db.session.commit()
    ids = db.session.info.pop("own_ids", set())
    seqs = db.session.info.pop("own_seqs", set())
    if ids and current_app.config["RESDIR_INDEX_SYNC"]:
        apply_own(ids, seqs)


def apply_own(ids: set[str], seqs: set[int]) -> int:
    """Rewrite these programs' documents; when nothing else is waiting before them in the
    log, move this node's position past them too (so the thread does not redo them)."""
    try:
        count = _write(sorted(ids))
        index = search_index()
        with index.sync_lock(blocking=False) as held:
            if held and seqs and index.exists():
                position = Position.of(index.position())
                ahead = db.session.scalars(
                    select(m.IndexChange.seq).where(position.unseen())
                    .where(m.IndexChange.seq <= max(seqs)).limit(len(seqs) + 1)).all()
                db.session.rollback()
                if set(ahead) <= seqs:
                    position.advance(ahead, max(seqs))
                    index.set_position(position.as_dict())
        return count
    except Exception as error:
        _failed(error, "search index update failed; the background sync will retry")
        return 0


def _failed(error: Exception, what: str) -> None:
    """The log keeps the change (the sync thread applies it on a later pass). The database
    going away right after a commit is one line; anything else gets its traceback."""
    try:
        db.session.rollback()
    except Exception:  # the connection is gone
        db.session.remove()
    if database_unavailable(error):
        log.warning("%s: the database is not answering (%s)", what, error_kind(error))
    else:
        log.exception(what)


def _write(ids: list[str]) -> int:
    tz = current_app.config["RESDIR_DEFAULT_TIMEZONE"]
    docs = list(documents(ids, tz))
    db.session.rollback()  # end the read before the (slow) index write
    gone = set(ids) - {d.id for d in docs}
    search_index().update(docs, delete_ids=sorted(gone))
    return len(ids)


def needs_rebuild() -> bool:
    """No index here, or the log was pruned past this index's position."""
    index = search_index()
    if not index.exists():
        return True
    stored = index.position()
    pruned = changelog.pruned_through()
    db.session.rollback()
    return Position.of(stored).seq < pruned


def too_far_behind() -> bool:
    """More log rows waiting than RESDIR_INDEX_REBUILD_BACKLOG: rebuilding is faster."""
    limit = current_app.config["RESDIR_INDEX_REBUILD_BACKLOG"]
    behind = changelog.backlog_beyond(Position.of(search_index().position()), limit)
    db.session.rollback()
    return behind


def catch_up(batches: int | None = None, blocking: bool = True) -> tuple[int, int]:
    """Apply the log after this node's position, BATCH rows at a time (at most `batches`
    batches); return (log rows read, programs rewritten)."""
    index = search_index()
    rows_read = programs = 0
    with index.sync_lock(blocking) as held:
        if not held:
            return 0, 0
        done = 0
        while batches is None or done < batches:
            done += 1
            position = Position.of(index.position())
            rows = changelog.unseen_rows(position, BATCH)
            db.session.rollback()
            if not rows:
                if position.gaps:  # expire old gaps; nothing to write otherwise
                    before = list(position.gaps)
                    position.advance([], position.seq)
                    if position.gaps != before:
                        index.set_position(position.as_dict())
                break
            programs += _write(sorted({r.service_id for r in rows}))
            above = [r.seq for r in rows if r.seq > position.seq]
            position.advance([r.seq for r in rows], max(above, default=position.seq))
            index.set_position(position.as_dict())
            rows_read += len(rows)
            if len(above) < BATCH:
                break
    return rows_read, programs


def apply_pending() -> int:
    """Bring this node's index up to the log (rebuilding if it fell behind past the
    retention period); return how many programs were rewritten."""
    if needs_rebuild() or too_far_behind():
        return reindex()
    search_index().clean_orphans()
    try:
        return catch_up()[1]
    except Exception as error:
        _failed(error, "search index update failed; the changes stay in the log")
        return 0


def tick() -> bool:
    """One bounded pass of the sync thread; True when more may be waiting."""
    if needs_rebuild():
        _rebuild_instead("it was missing or behind the pruned change log")
        return False
    if too_far_behind():
        limit = current_app.config["RESDIR_INDEX_REBUILD_BACKLOG"]
        _rebuild_instead(f"more than {limit} change-log rows were waiting "
                         "(RESDIR_INDEX_REBUILD_BACKLOG)")
        return False
    rows, _ = catch_up(batches=1, blocking=False)
    # Another process of this node may have written the index: open and warm the new
    # searcher here, so this process's next search does not pay for it.
    search_index().refresh(opened_only=True)
    return rows >= BATCH


def _rebuild_instead(why: str) -> None:
    """Rebuild unless another process of this node is already building (then its swap
    brings this node up to date, and the next pass finds little or nothing waiting)."""
    started = time.perf_counter()
    count = _reindex(wait=False)
    if count is not None:
        log.warning("search index rebuilt (%d programs in %.1fs) because %s", count,
                    time.perf_counter() - started, why)


def start_sync(app) -> bool:
    """Start this process's background sync thread (off when RESDIR_INDEX_POLL_SECONDS is
    0). Its first pass cleans generations a killed build left, then catches up."""
    return changelog.start(app, tick, startup=lambda: search_index().clean_orphans())


def reindex(procs: int = 1, wait: bool = True) -> int:
    """Build a new index from the whole database beside the old one, swap it in, then apply
    the changes committed while it was built (the new generation starts at the log position
    taken before reading the database). wait=False: skip if another build is running."""
    return _reindex(procs, wait) or 0


def _reindex(procs: int = 1, wait: bool = True) -> int | None:
    """:func:`reindex`; None when skipped because another build is running."""
    search_index().clean_orphans()
    position = changelog.start_position()
    tz = current_app.config["RESDIR_DEFAULT_TIMEZONE"]
    count = search_index().rebuild(documents(None, tz), procs=procs,
                                   position=position.as_dict(), wait=wait)
    if count is None:
        return None
    catch_up()
    return count
