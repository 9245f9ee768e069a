"""Import jobs (issue 9, item 8): an upload is kept in the instance folder and imported in
the background, with its progress and final report in an `import_job` row.

- The request saves the file, commits a `queued` job and starts a thread for it in the
  serving process; it then waits up to RESDIR_IMPORT_WAIT_SECONDS, so a small file still
  answers with its report at once, and a big one with the job's page.
- `resdir worker` also runs queued jobs whose file this machine can see (a job whose
  process died before its thread started is not lost).
- Whoever runs a job first moves it from `queued` to `running` in one UPDATE; the loser
  of that race does nothing, so no job runs twice, on one node or several.
- The import itself is the ordinary all-or-nothing one (import_saved). A process killed
  mid-import leaves the database as it was; its job is marked failed once its heartbeat
  is old, or at once when its process is seen to be gone on this machine.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import threading
import time
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from resdir.basics import aware, new_id, utcnow
from resdir.extensions import db
from resdir.interop.hsds_import import ImportReport
from resdir.interop.models import ImportJob
from resdir.interop.uploads import import_saved, save_upload

log = logging.getLogger(__name__)
TABLE = ImportJob.__table__
STALE = timedelta(minutes=30)  # a running job silent this long is presumed dead
ATTEMPTS = 2  # a job whose process dies is run again once (a restart), not forever (a crash)
PROGRESS_EVERY_S = 1.0
UNCLAIMED = timedelta(seconds=30)
_threads: dict[str, threading.Thread] = {}


def folder_of(job_id: str) -> Path:
    base = current_app.config["RESDIR_IMPORT_DIR"] or Path(current_app.instance_path) / "imports"
    return Path(base) / job_id


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def submit(upload, *, dry_run: bool, user, organization_id: str | None = None) -> ImportJob:
    """Keep the upload, record its job (committed), start it here; return the job.
    BadParameter (no file, wrong kind) before anything is recorded."""
    job_id = new_id()
    try:
        name = save_upload(upload, folder_of(job_id))
    except Exception:
        shutil.rmtree(folder_of(job_id), ignore_errors=True)
        raise
    job = ImportJob(id=job_id, filename=name, dry_run=dry_run, organization_id=organization_id,
                    created_by=user.id if user is not None else None)
    db.session.add(job)
    db.session.commit()
    start(job_id)
    return job


def start(job_id: str) -> None:
    """Run the job in a thread of this process (after the job's row is committed)."""
    thread = threading.Thread(target=_in_thread, args=(current_app._get_current_object(),
                                                       job_id),
                              name=f"import-{job_id[:8]}", daemon=True)
    _threads[job_id] = thread
    thread.start()


def _in_thread(app, job_id: str) -> None:
    with app.app_context():
        try:
            run(job_id, holder_name())
        except Exception:
            log.exception("import job %s failed", job_id)
        finally:
            db.session.remove()
            _threads.pop(job_id, None)


def wait(job_id: str, seconds: float) -> None:
    """Wait up to `seconds` for this process's thread running the job, if any."""
    thread = _threads.get(job_id)
    if thread is not None:
        thread.join(seconds)


def claim(job_id: str, holder: str) -> bool:
    now = utcnow()
    with db.engine.begin() as connection:
        taken = connection.execute(update(TABLE).where(
            TABLE.c.id == job_id, TABLE.c.status == "queued",
        ).values(status="running", holder=holder, started_at=now, heartbeat_at=now,
                 stage="reading the file", done=0, total=0, attempts=TABLE.c.attempts + 1))
        return taken.rowcount == 1


def run(job_id: str, holder: str) -> bool:
    """Claim and run one job; False if someone else has it (or had it)."""
    if not claim(job_id, holder):
        return False
    job = db.session.get(ImportJob, job_id)
    name, dry_run, organization_id = job.filename, job.dry_run, job.organization_id
    db.session.rollback()  # no transaction kept open while importing
    try:
        report = import_saved(folder_of(job_id) / name, dry_run=dry_run,
                              organization_id=organization_id, progress=Progress(job_id))
    except Exception as exc:  # import_saved reports bad data; this is a fault of ours
        db.session.rollback()
        log.exception("import job %s stopped", job_id)
        report = ImportReport(name, dry_run=dry_run, organization_id=organization_id)
        report.fatal(name, None, "-", f"the import stopped: {type(exc).__name__}")
    _finish(job_id, holder, "done", report)
    shutil.rmtree(folder_of(job_id), ignore_errors=True)
    return True


def _finish(job_id: str, holder: str | None, status: str, report: ImportReport) -> None:
    with db.engine.begin() as connection:
        connection.execute(update(TABLE).where(
            TABLE.c.id == job_id, TABLE.c.status == "running",
            *([TABLE.c.holder == holder] if holder else []),
        ).values(status=status, ok=report.ok, report=json.dumps(report.as_dict()),
                 finished_at=utcnow(), stage=None))


class Progress:
    """The import's progress(stage, done, total) written to the job row, at most once a
    second, on a connection of its own (the import's transaction is not committed yet).
    Best effort: a progress write that fails never fails the import."""

    def __init__(self, job_id: str):
        self.job_id = job_id
        self.last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY_S and done < total:
            return
        self.last = now
        try:
            with db.engine.begin() as connection:
                connection.execute(update(TABLE).where(TABLE.c.id == self.job_id).values(
                    stage=stage[:60], done=done, total=total, heartbeat_at=utcnow()))
        except SQLAlchemyError as exc:
            log.warning("import job %s: progress not recorded (%s)", self.job_id,
                        type(exc).__name__)


def report_of(job: ImportJob) -> ImportReport | None:
    return ImportReport.from_dict(json.loads(job.report)) if job.report else None


def _age(moment) -> timedelta:
    return timedelta.max if moment is None else utcnow() - aware(moment)


def _gone(job: ImportJob) -> bool:
    """Whether the job's process is known to be dead: silent too long, or a process of
    this machine that no longer exists."""
    if _age(job.heartbeat_at or job.started_at) > STALE:
        return True
    host, _, pid = (job.holder or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover(job: ImportJob) -> None:
    """On looking at a job: one whose process died (nothing of it was written: imports are
    all or nothing) is queued again, once, since a worker restart (deploy, max_requests)
    stops it; a second death is taken for the file's doing and the job is marked failed.
    A queued one nobody started is started here."""
    if job.status == "running" and _gone(job):
        present = (folder_of(job.id) / job.filename).is_file()
        if job.attempts < ATTEMPTS and present:
            with db.engine.begin() as connection:
                connection.execute(update(TABLE).where(
                    TABLE.c.id == job.id, TABLE.c.status == "running",
                    TABLE.c.holder == job.holder).values(status="queued", holder=None))
        else:
            report = ImportReport(job.filename, dry_run=job.dry_run)
            report.fatal(job.filename, None, "-", "the import was interrupted (its server "
                         "process stopped); nothing of it was written. Upload the file "
                         "again.")
            _finish(job.id, job.holder, "failed", report)
            shutil.rmtree(folder_of(job.id), ignore_errors=True)
        db.session.refresh(job)
    # Queued a while (the thread of the process that took the upload would have claimed it
    # at once): that process stopped first, so start it here.
    if job.status == "queued" and job.id not in _threads and (
            _age(job.created_at) > UNCLAIMED or job.attempts) and (
            folder_of(job.id) / job.filename).is_file():
        start(job.id)
    db.session.refresh(job)


def run_queued(most: int) -> int:
    """`resdir worker`: mark dead jobs failed, then run up to `most` queued jobs whose file
    this machine has; return how many ran here."""
    for job in db.session.scalars(select(ImportJob).where(ImportJob.status == "running")):
        if _gone(job):
            recover(job)
    done = 0
    queued = db.session.scalars(select(ImportJob.id).where(
        ImportJob.status == "queued").order_by(ImportJob.created_at)).all()
    db.session.rollback()
    for job_id in queued:
        if done >= most:
            break
        job = db.session.get(ImportJob, job_id)
        if job is None or not (folder_of(job_id) / job.filename).is_file():
            continue
        if run(job_id, holder_name()):
            done += 1
    return done


def recent(user, organization_id: str | None, limit: int = 10) -> list[ImportJob]:
    """The latest jobs a person may see: an admin's view is every job, an agency's its own
    organization's."""
    query = select(ImportJob).order_by(ImportJob.created_at.desc()).limit(limit)
    if organization_id is not None:
        query = query.where(or_(ImportJob.organization_id == organization_id,
                                ImportJob.created_by == user.id))
    return list(db.session.scalars(query))
