"""The import job page: progress while an upload is imported, then its report."""

from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, render_template, url_for

from resdir.auth import policy
from resdir.errors import NotFound
from resdir.extensions import db
from resdir.interop import import_jobs
from resdir.interop.models import ImportJob

bp = Blueprint("imports", __name__, url_prefix="/imports")


@bp.get("/<job_id>")
def job(job_id: str):
    """How far the import is; its report once finished (the page refreshes itself)."""
    policy.require_login(g.user)
    found = db.session.get(ImportJob, job_id)
    if found is None or not policy.can_see_import_job(g.user, found):
        raise NotFound("No import has this id.")
    import_jobs.recover(found)
    return render_template("interop/import_job.html", job=found,
                           report=import_jobs.report_of(found))


def answer(upload, *, dry_run: bool, organization_id: str | None = None):
    """An upload form's answer: the job starts, and its report is the answer when it is
    done within RESDIR_IMPORT_WAIT_SECONDS (small files); else the job's page."""
    started = import_jobs.submit(upload, dry_run=dry_run, user=g.user,
                                 organization_id=organization_id)
    import_jobs.wait(started.id, current_app.config["RESDIR_IMPORT_WAIT_SECONDS"])
    db.session.refresh(started)
    if not started.finished:
        return redirect(url_for("imports.job", job_id=started.id), 303)
    report = import_jobs.report_of(started)
    return render_template("interop/import_report.html", report=report, job=started), (
        200 if report.ok else 400)
