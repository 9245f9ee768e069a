"""The `flask --app wsgi resdir ...` commands."""

from __future__ import annotations

import sys
import time

import click
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_migrate import upgrade
from sqlalchemy import func, select

from resdir.agencies import operations as agencies
from resdir.auth import cli as auth_cli
from resdir.categorize.operations import ensure_crosswalk as ensure_taxonomy_crosswalk
from resdir.directory import changelog, csvimport, index_state, indexing, operations
from resdir.directory.csvcells import CsvImportError
from resdir.directory.models import Service
from resdir.extensions import db
from resdir.interop import cli as interop_cli
from resdir.interop.hsds_import import import_path
from resdir.interop.hsds_import.detect import is_seed_csv
from resdir.jobs.operations import holder_name, tick
from resdir.matching.operations import ensure_crosswalk
from resdir.referrals import deadlines

resdir_cli = AppGroup("resdir", help="Set up and look after the directory.")


@resdir_cli.command("init-db")
def init_db() -> None:
    """Create or upgrade the database tables (Alembic migrations) and categories."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    operations.ensure_categories()
    # A release's new shipped rules reach this database; an admin's changes stay (shipped.py).
    for line in ensure_crosswalk() + ensure_taxonomy_crosswalk():
        click.echo(f"crosswalk: {line}")
    db.session.commit()
    click.echo("database ready")


@resdir_cli.command("import")
@click.argument("path", type=click.Path())
@click.option("--dry-run", is_flag=True, help="Check and report; write nothing.")
@click.option("--source", default=None,
              help="HSDS source name (default: the datapackage's name or the folder's).")
@click.option("--organization", "organization_id", default=None,
              help="Agency upload: refuse anything about other organizations than this id.")
def import_command(path: str, dry_run: bool = False, source: str | None = None,
                   organization_id: str | None = None) -> None:
    """Load a directory: the seed CSV, or HSDS 3.0 JSON/CSV, HSDS 1.x CSV or Ohana CSV
    (a file or folder). All or nothing; re-running updates."""
    require_set_up()
    if is_seed_csv(path):
        _import_seed(path, dry_run)
        return
    bars = _ProgressBars() if sys.stdout.isatty() else None
    try:
        report = import_path(path, dry_run=dry_run, organization_id=organization_id,
                             progress=bars, source=source)
    finally:
        if bars:
            bars.close()
    click.echo(str(report))
    if not report.ok:
        raise click.ClickException(f"nothing was imported from {path}")
    if dry_run:
        click.echo("dry run: nothing was written")
    else:
        refresh_statistics()


def refresh_statistics() -> None:
    """SQLite plans joins from statistics only ANALYZE gathers (PostgreSQL's autovacuum keeps
    its own): without them a name-ordered page sorts every program (0.3 s at 100,000).
    ANALYZE holds the write lock while it runs: sampling about 1,000 rows an index keeps
    that to milliseconds (reading every row took 5 s at 100,000 programs, issue 9 item 4)."""
    if db.engine.dialect.name == "sqlite":
        with db.engine.begin() as connection:
            connection.exec_driver_sql("PRAGMA analysis_limit = 1000")
            connection.exec_driver_sql("ANALYZE")


def require_set_up() -> None:
    """Stop with a plain message when the database lacks tables or migrations. Importing
    does not migrate by itself: changing a production schema is a deliberate step."""
    config = current_app.extensions["migrate"].migrate.get_config()
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    if current != set(ScriptDirectory.from_config(config).get_heads()):
        raise click.ClickException(
            "the database is not set up or not up to date: run `flask --app wsgi resdir "
            "setup` (or `init-db`) first")


def _import_seed(path: str, dry_run: bool) -> None:
    started = time.perf_counter()
    try:
        if dry_run:
            rows = csvimport.read(path, operations.category_slugs())
            click.echo(f"dry run: {path} is valid ({len(rows)} programs); nothing was written")
            return
        bars = _ProgressBars() if sys.stdout.isatty() else None
        try:
            summary = operations.import_csv(path, bars)
        finally:
            if bars:
                bars.close()
    except CsvImportError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"nothing was imported: {len(exc.problems)} problem(s) in {path}"
        ) from None
    refresh_statistics()
    click.echo(
        f"imported {path}: {summary.created} programs created, {summary.updated} updated, "
        f"{summary.organizations} organizations, {summary.locations} locations "
        f"in {time.perf_counter() - started:.1f}s"
    )


class _ProgressBars:
    """progress(stage, done, total) shown as one click progress bar per stage."""

    def __init__(self):
        self.bar = None
        self.stage = None
        self.done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.bar = click.progressbar(length=max(total, 1), label=stage)
            self.bar.__enter__()
            self.stage, self.done = stage, 0
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@resdir_cli.command("reindex")
@click.option("--procs", default=1, show_default=True, help="Indexing processes.")
def reindex(procs: int) -> None:
    """Build a fresh search index beside the old one and swap it in."""
    started = time.perf_counter()
    count = indexing.reindex(procs=procs)
    click.echo(f"indexed {count} programs in {time.perf_counter() - started:.1f}s")


@resdir_cli.command("sync-index")
def sync_index() -> None:
    """Bring this node's index up to the change log (and prune old log rows)."""
    count = indexing.apply_pending()
    left = index_state.pending_count()
    pruned = changelog.prune()
    click.echo(f"applied {count} program(s); {left} still waiting; "
               f"pruned {pruned} old log row(s)")
    if left:
        raise click.ClickException("some changes could not be applied; see the log")


@resdir_cli.command("check-index")
@click.option("--repair", is_flag=True, help="Rewrite what drifted.")
def check_index(repair: bool) -> None:
    """Report programs missing from, extra in, or out of date in the search index."""
    found = index_state.drift()
    pending = index_state.pending_count()
    for kind, ids in found.items():
        click.echo(f"{kind}: {len(ids)}" + (f" ({', '.join(ids[:5])}...)" if ids else ""))
    click.echo(f"changes not yet applied from the change log: {pending}")
    drifted = sorted({i for ids in found.values() for i in ids})
    if drifted and repair:
        index_state.repair(found)
        click.echo(f"repaired {len(drifted)} program(s)")
    elif drifted:
        raise click.ClickException("the index has drifted; run with --repair or reindex")


@resdir_cli.command("setup")
def setup() -> None:
    """First-run setup: database, seed directory if empty, index if missing."""
    init_db.callback()
    if db.session.scalar(select(func.count(Service.id))) == 0:
        seed = current_app.config["RESDIR_SEED_FILE"]
        click.echo(f"loading seed directory {seed}")
        import_command.callback(seed)
    if indexing.needs_rebuild():
        reindex.callback(1)
    else:
        count = indexing.apply_pending()
        click.echo(f"search index present; applied {count} program(s) from the change log")


@resdir_cli.command("send-reminders")
def send_reminders() -> None:
    """E-mail agencies about overdue referrals (once per referral and day; cron-friendly)."""
    click.echo(f"sent {deadlines.send_reminders()} reminder(s)")


@resdir_cli.command("send-verification-requests")
def send_verification_requests() -> None:
    """E-mail agencies whose active listings are stale (once per agency and week)."""
    count = agencies.send_verification_requests(current_app.config["RESDIR_STALE_AFTER_DAYS"])
    click.echo(f"sent {count} verification request(s)")


@resdir_cli.command("worker")
@click.option("--once", is_flag=True, help="Run one tick and exit (for cron).")
def worker(once: bool) -> None:
    """Run the scheduled jobs (reminders, verification requests, housekeeping) every
    RESDIR_WORKER_INTERVAL_SECONDS; any number of nodes may run it, a database lease lets
    one at a time do each job."""
    holder = holder_name()
    while True:
        for line in tick(holder):
            click.echo(line)
        db.session.remove()
        if once:
            return
        time.sleep(current_app.config["RESDIR_WORKER_INTERVAL_SECONDS"])


def register_cli(app: Flask) -> None:
    auth_cli.register(resdir_cli)
    interop_cli.register(resdir_cli)
    app.cli.add_command(resdir_cli)
