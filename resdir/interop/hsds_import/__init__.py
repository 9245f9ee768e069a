"""Import an Open Referral directory: HSDS 3.0 JSON (an object, a list or the API's paged
envelope; also the tabular JSON form), HSDS 3.0 CSV, HSDS 1.x CSV or the Ohana API CSV.

    report = import_path("exports/dc", dry_run=False, organization_id=None)

Steps: detect the form and read it into HSDS 3.0 tables (detect, read_json, read_csv,
legacy, ohana); check and join them into a plan, repairing or skipping records (resolve,
children, schedules, taxonomy, categories, clean); fill missing coordinates (places); write
the plan in one transaction (apply, services); commit and update the search index.

- All or nothing: a fatal problem (or a refusal) rolls the session back; the database is
  as it was. `dry_run` does everything, flush included, then rolls back.
- Idempotent: organizations, locations and programs carry `source_key`
  `hsds:<source>:<table>:<id>`; taxonomies and terms get ids derived from theirs. A second
  import of the same source updates (and rewrites only what changed).
- `organization_id`: an agency's upload; anything about another organization is refused.
- Never raises for bad data: every problem is an entry in the returned ImportReport.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from resdir.directory import bulk, indexing
from resdir.extensions import db
from resdir.interop.hsds_import import apply, detect, places
from resdir.interop.hsds_import.report import Entry, ImportReport
from resdir.interop.hsds_import.resolve import resolve

__all__ = ["Entry", "ImportReport", "import_path", "REINDEX_AT"]

log = logging.getLogger(__name__)
# Above this many changed programs the index is rebuilt once instead of updated in place.
REINDEX_AT = 2000


def import_path(path: str | Path, *, dry_run: bool = False, organization_id: str | None = None,
                progress=None, source: str | None = None) -> ImportReport:
    """Import the directory at `path` (file or folder); see the module docstring.

    `progress`, if given, is called as progress(stage, done, total). `source` overrides the
    source name derived from the path."""
    started = time.perf_counter()
    path = Path(path)
    report = ImportReport(str(path), dry_run=dry_run, organization_id=organization_id)
    try:
        dataset = detect.read(path, report, source)
        if dataset is not None:
            report.form, report.source = dataset.form, dataset.source
        if dataset is not None and report.ok:
            if not any(dataset.rows(t) for t in ("organization", "service", "location",
                                                 "taxonomy_term", "taxonomy")):
                report.fatal(path.name, None, "-", "no HSDS records found")
            else:
                _run(dataset, report, organization_id, dry_run, progress)
    except Exception as exc:  # never a crash: the report says what stopped the import
        db.session.rollback()
        log.exception("HSDS import of %s stopped", path)
        report.fatal(path.name, None, "-", f"the import stopped: {type(exc).__name__}: {exc}")
    bulk.drop_leftovers()  # a dry run's or a refused import's staged rows
    report.seconds = time.perf_counter() - started
    log.info("HSDS import of %s: %s", path, report.counts())
    return report


def _run(dataset, report: ImportReport, organization_id, dry_run: bool, progress) -> None:
    plan = resolve(dataset, report)
    dataset.release()
    config = current_app.config
    places.fill(plan, report, config.get("RESDIR_GEOCODER", "gazetteer"),
                config.get("RESDIR_GEOCODER_USER_AGENT", "resdir"), progress)
    try:
        touched = apply.apply(plan, report, organization_id, progress)
        _not_kept(dataset, report)
        if not report.ok:
            db.session.rollback()
            return
        db.session.flush()
    except SQLAlchemyError as exc:
        db.session.rollback()
        report.fatal("-", None, "-", f"the database refused the import: {exc.__class__.__name__}"
                                     f": {str(exc).splitlines()[0][:300]}")
        return
    if dry_run:
        db.session.rollback()
        return
    db.session.commit()
    report.applied = True
    if config.get("RESDIR_INDEX_SYNC", True) and touched:
        if progress:
            progress("indexing", 0, len(touched))
        try:
            indexing.reindex() if len(touched) > REINDEX_AT else indexing.apply_pending()
        except Exception as exc:  # the data is committed; the outbox keeps what is missing
            log.exception("search index update after the import failed")
            report.note("-", None, "-", f"the search index was not updated ({exc}); run "
                                        "`resdir sync-index`")
        if progress:
            progress("indexing", len(touched), len(touched))


def _not_kept(dataset, report: ImportReport) -> None:
    """One line per table naming the fields the file gives that resdir has no place for
    (every step records the fields it reads)."""
    for table, (files, fields) in sorted(dataset.not_kept().items()):
        report.note(", ".join(files[:3]) + (" ..." if len(files) > 3 else ""), None, "-",
                    f"{table} fields not kept (resdir has no place for them): "
                    f"{', '.join(fields)}")
