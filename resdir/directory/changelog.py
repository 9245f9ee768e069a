"""Reading the index change log: this node's position in it, catching up, pruning, and the
background thread that does both in every app process.

Every app node has its own index folder and its own position in the log (`position.json` in
the live generation): the sequence number `seq` it has applied through, plus `gaps`, numbers
below `seq` it has not seen. On PostgreSQL a sequence number is taken at INSERT and becomes
visible at COMMIT, so a transaction can commit number 11 after another committed 12; a node
that has read 12 keeps 11 as a gap and looks for it on every pass, until it appears or is an
hour old (then it belonged to a transaction that rolled back: its number is never used).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, delete, func, or_, select, update

from resdir.basics import utcnow
from resdir.directory import models as m
from resdir.errors import database_unavailable, error_kind
from resdir.extensions import db

log = logging.getLogger(__name__)

# A gap older than this is a rolled-back transaction's number. No transaction of resdir runs
# that long between writing a program change and committing (an import of 20,000 rows
# commits within a minute); `check-index` would still find a change missed that way.
GAP_GRACE_SECONDS = 3600
# Log rows applied per pass (bounded work, so that a big backlog never holds the node's
# sync lock or a web process's CPU for long).
BATCH = 500
PRUNE_EVERY_SECONDS = 600


class Position:
    """Where one index generation is in the log."""

    def __init__(self, seq: int = 0, gaps: list | None = None):
        self.seq = seq
        self.gaps = [tuple(g) for g in gaps or []]  # (first, last, first seen at epoch)

    @classmethod
    def of(cls, stored: dict | None) -> Position:
        stored = stored or {}
        return cls(int(stored.get("seq", 0)), stored.get("gaps"))

    def as_dict(self) -> dict:
        return {"seq": self.seq, "gaps": [list(g) for g in self.gaps]}

    def unseen(self):
        """SQL condition: log rows this position has not applied."""
        return or_(m.IndexChange.seq > self.seq,
                   *(m.IndexChange.seq.between(lo, hi) for lo, hi, _ in self.gaps))

    def advance(self, seen: list[int], through: int, now: float | None = None) -> None:
        """Record `seen` as applied and everything up to `through` as read: numbers in
        (seq, through] not seen become gaps; old gaps expire."""
        now = time.time() if now is None else now
        seen_set = set(seen)
        gaps = []
        for lo, hi, born in self.gaps:
            gaps += [(a, b, born) for a, b in _holes(lo, hi, seen_set)]
        if through > self.seq:
            gaps += [(a, b, now) for a, b in _holes(self.seq + 1, through, seen_set)]
            self.seq = through
        self.gaps = sorted(g for g in gaps if now - g[2] < GAP_GRACE_SECONDS)


def _holes(lo: int, hi: int, seen: set[int]) -> list[tuple[int, int]]:
    """Maximal runs of numbers in [lo, hi] that are not in `seen`."""
    inside = sorted(s for s in seen if lo <= s <= hi) if seen else []
    runs, start = [], lo
    for s in inside:
        if s > start:
            runs.append((start, s - 1))
        start = s + 1
    if start <= hi:
        runs.append((start, hi))
    return runs


def latest_seq() -> int:
    """The newest number handed out (the log may be empty after pruning)."""
    newest = db.session.scalar(select(func.max(m.IndexChange.seq))) or 0
    return max(newest, pruned_through())


def pruned_through() -> int:
    return db.session.scalar(
        select(m.IndexLogState.pruned_through).where(m.IndexLogState.id == 1)) or 0


def start_position() -> Position:
    """The position a rebuild starting now begins at: the newest number, with the numbers
    of the last hour that are not visible yet (transactions still running) as gaps, so the
    catch-up after the swap applies them when they commit."""
    newest = latest_seq()
    since = utcnow() - timedelta(seconds=GAP_GRACE_SECONDS)
    recent = db.session.scalars(
        select(m.IndexChange.seq).where(m.IndexChange.created_at >= since)).all()
    db.session.rollback()
    position = Position(newest)
    if recent:
        now = time.time()
        position.gaps = [(a, b, now) for a, b in _holes(min(recent), newest, set(recent))]
    return position


def unseen_rows(position: Position, limit: int) -> list:
    """Up to `limit` rows after the position, in order, and every row found in its gaps."""
    rows = db.session.execute(
        select(m.IndexChange.seq, m.IndexChange.service_id)
        .where(m.IndexChange.seq > position.seq).order_by(m.IndexChange.seq).limit(limit)
    ).all()
    if position.gaps:
        rows += db.session.execute(
            select(m.IndexChange.seq, m.IndexChange.service_id).where(
                or_(*(m.IndexChange.seq.between(lo, hi) for lo, hi, _ in position.gaps)))
        ).all()
    return rows


def backlog_beyond(position: Position, rows: int) -> bool:
    """More than `rows` log rows after the position? (One indexed look-up, not a count.)"""
    if rows <= 0:
        return False
    beyond = db.session.scalar(
        select(m.IndexChange.seq).where(m.IndexChange.seq > position.seq)
        .order_by(m.IndexChange.seq).offset(rows).limit(1))
    return beyond is not None


def lag(position: Position) -> tuple[int, float | None]:
    """How many log rows this position has not applied, and when the oldest was written."""
    count, oldest = db.session.execute(
        select(func.count(m.IndexChange.seq), func.min(m.IndexChange.created_at))
        .where(position.unseen())
    ).one()
    return count, oldest


def prune() -> int:
    """Delete log rows older than the retention period; remember the highest one deleted."""
    hours = current_app.config["RESDIR_INDEX_LOG_RETENTION_HOURS"]
    cutoff = utcnow() - timedelta(hours=hours)
    through = db.session.scalar(
        select(func.max(m.IndexChange.seq)).where(m.IndexChange.created_at < cutoff))
    if through is None:
        db.session.rollback()
        return 0
    deleted = db.session.execute(
        delete(m.IndexChange).where(m.IndexChange.seq <= through)).rowcount
    moved = db.session.execute(
        update(m.IndexLogState)
        .where(and_(m.IndexLogState.id == 1, m.IndexLogState.pruned_through < through))
        .values(pruned_through=through)).rowcount
    if not moved and db.session.get(m.IndexLogState, 1) is None:  # made by create_all()
        db.session.add(m.IndexLogState(id=1, pruned_through=through))
    db.session.commit()
    if deleted:
        log.info("pruned %d index change(s) through seq %d", deleted, through)
    return deleted


# -- the background thread, one per process ------------------------------------------

_start_lock = threading.Lock()


def start(app, tick, startup=None) -> bool:
    """Start this process's sync thread (once per process, also after a fork); `tick()`
    runs one bounded pass inside an app context and says whether more work waits.
    :func:`stop` ends it."""
    interval = app.config["RESDIR_INDEX_POLL_SECONDS"]
    if interval <= 0:
        return False
    with _start_lock:
        if app.extensions.get("resdir_sync_pid") == os.getpid():
            return False
        app.extensions["resdir_sync_pid"] = os.getpid()
        stopping = app.extensions["resdir_sync_stop"] = threading.Event()
    thread = threading.Thread(target=_run, args=(app, tick, interval, startup, stopping),
                              daemon=True, name="resdir-index-sync")
    thread.start()
    app.extensions["resdir_sync_thread"] = thread
    return True


def stop(app, timeout: float = 10) -> None:
    """End this process's sync thread after its current pass (tests, shutdown)."""
    stopping = app.extensions.get("resdir_sync_stop")
    thread = app.extensions.get("resdir_sync_thread")
    if stopping is not None:
        stopping.set()
    if thread is not None:
        thread.join(timeout)


class _Failures:
    """What the sync thread logs when passes fail: one line when the database stops
    answering and one when it answers again (not a traceback a second for the whole
    outage), and another error's traceback once, then a count a minute while it repeats."""

    REPEAT_EVERY_SECONDS = 60

    def __init__(self, interval: float):
        self.interval = interval
        self.down_since: float | None = None
        self.last_kind: str | None = None
        self.repeats = 0
        self.last_logged = 0.0

    def failed(self, error: Exception) -> None:
        now = time.monotonic()
        if database_unavailable(error):
            if self.down_since is None:
                self.down_since = now
                log.warning("index sync: the database is not answering (%s); trying again "
                            "every %.1fs, quietly until it answers", error_kind(error),
                            self.interval)
            return
        kind = error_kind(error)
        if kind != self.last_kind:
            self.last_kind, self.repeats, self.last_logged = kind, 0, now
            log.exception("index sync pass failed; next try in %.1fs", self.interval)
            return
        self.repeats += 1
        if now - self.last_logged >= self.REPEAT_EVERY_SECONDS:
            self.last_logged = now
            log.error("index sync pass still failing (%s, %d more time(s))", kind,
                      self.repeats)
            self.repeats = 0

    def succeeded(self) -> None:
        if self.down_since is not None:
            log.warning("index sync: the database answers again after %.0fs; catching up",
                        time.monotonic() - self.down_since)
            self.down_since = None
        if self.last_kind is not None:
            log.info("index sync pass succeeded again")
            self.last_kind = None


def _run(app, tick, interval: float, startup, stopping: threading.Event) -> None:
    if startup is not None:
        try:
            with app.app_context():
                startup()
        except Exception:
            log.exception("index sync start-up failed")
    next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
    failures = _Failures(interval)
    while not stopping.is_set():
        more = False
        try:
            with app.app_context():
                more = tick()
                if time.monotonic() >= next_prune:
                    next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
                    prune()
        except Exception as exc:  # the database may be down: try again on the next tick
            failures.failed(exc)
        else:
            failures.succeeded()
        stopping.wait(0.02 if more else interval)
