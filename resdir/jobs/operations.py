"""`resdir worker`: the scheduled jobs, each run by one process at a time.

Every app machine may run `flask --app wsgi resdir worker`; a job runs only in the process
that takes its lease (one atomic UPDATE of its `job_lease` row, on SQLite and PostgreSQL
alike), and only when its period has passed since the last complete run anywhere. Each run
is bounded (`RESDIR_WORKER_BATCH` mails); a run that hit the bound is due again at the next
tick. The jobs also claim each mail in the database before sending it, so even a lease that
expired mid-run (a hung process) cannot make two processes send the same mail.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite

from resdir.agencies.operations import send_verification_requests
from resdir.auth.throttle import prune
from resdir.basics import utcnow
from resdir.extensions import db
from resdir.interop.import_jobs import run_queued
from resdir.jobs.models import JobLease
from resdir.referrals.deadlines import send_reminders

log = logging.getLogger(__name__)
TABLE = JobLease.__table__
LEASE = timedelta(minutes=10)  # a run that takes longer than this is presumed dead


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[int], int]  # run(limit) -> items done
    what: str
    bounded: bool = True  # False: one run does everything, whatever it returns


def _reminders(limit: int) -> int:
    return send_reminders(most=limit)


def _verification(limit: int) -> int:
    return send_verification_requests(current_app.config["RESDIR_STALE_AFTER_DAYS"],
                                      most=limit)


def _prune(limit: int) -> int:
    return prune()


def _imports(limit: int) -> int:
    # Uploads are imported by a thread of the web process that took them; this picks up
    # any that process did not get to (it stopped), and marks dead ones failed.
    return run_queued(most=1)


JOBS = (
    Job("send-reminders", timedelta(hours=1), _reminders, "reminder(s)"),
    Job("send-verification-requests", timedelta(hours=1), _verification,
        "verification request(s)"),
    Job("prune-rate-limits", timedelta(hours=1), _prune, "expired rate-limit counter(s)",
        bounded=False),
    Job("import-uploads", timedelta(0), _imports, "uploaded file(s) imported", bounded=False),
)


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire(name: str, holder: str, every: timedelta) -> bool:
    """Take the job's lease if nobody holds it and its period has passed; True if taken."""
    now = utcnow()
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    with db.engine.begin() as connection:
        connection.execute(dialect.insert(TABLE).values(name=name).on_conflict_do_nothing(
            index_elements=[TABLE.c.name]))
        taken = connection.execute(update(TABLE).where(
            TABLE.c.name == name,
            or_(TABLE.c.expires_at.is_(None), TABLE.c.expires_at < now),
            or_(TABLE.c.last_run_at.is_(None), TABLE.c.last_run_at <= now - every),
        ).values(holder=holder, expires_at=now + LEASE))
        return taken.rowcount == 1


def release(name: str, holder: str, complete: bool) -> None:
    """Give the lease back; a complete run starts the job's period, an unfinished one
    (bounded, or failed) leaves it due at the next tick."""
    values = {"holder": None, "expires_at": None}
    if complete:
        values["last_run_at"] = utcnow()
    with db.engine.begin() as connection:
        connection.execute(update(TABLE).where(TABLE.c.name == name,
                                               TABLE.c.holder == holder).values(values))


def tick(holder: str) -> list[str]:
    """Run every due job whose lease this process gets; one line per job for the log."""
    limit = current_app.config["RESDIR_WORKER_BATCH"]
    lines = []
    for job in JOBS:
        if not acquire(job.name, holder, job.every):
            lines.append(f"{job.name}: not due, or running elsewhere")
            continue
        done, complete = 0, False
        try:
            done = job.run(limit)
            complete = not job.bounded or done < limit
        except Exception:
            db.session.rollback()
            log.exception("job %s failed; it is due again at the next tick", job.name)
            lines.append(f"{job.name}: failed (see the log)")
        else:
            lines.append(f"{job.name}: {done} {job.what}" + ("" if complete else ", more next"))
        finally:
            release(job.name, holder, complete)
    return lines
