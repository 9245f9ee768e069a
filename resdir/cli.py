"""The `flask --app wsgi resdir ...` commands."""

from __future__ import annotations

import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_migrate import upgrade
from sqlalchemy import func, select

from resdir.directory import indexing, operations
from resdir.directory.csvimport import CsvImportError
from resdir.directory.models import Service
from resdir.extensions import db

resdir_cli = AppGroup("resdir", help="Set up and look after the directory.")


@resdir_cli.command("init-db")
def init_db() -> None:
    """Create or upgrade the database tables (Alembic migrations) and categories."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    operations.ensure_categories()
    from resdir.matching.operations import ensure_crosswalk

    ensure_crosswalk()
    db.session.commit()
    click.echo("database ready")


@resdir_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
def import_command(path: str) -> None:
    """Load a directory CSV (all or nothing; re-running updates)."""
    started = time.perf_counter()
    try:
        summary = operations.import_csv(path)
    except CsvImportError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"nothing was imported: {len(exc.problems)} problem(s) in {path}"
        ) from None
    click.echo(
        f"imported {path}: {summary.created} programs created, {summary.updated} updated, "
        f"{summary.organizations} organizations, {summary.locations} locations "
        f"in {time.perf_counter() - started:.1f}s"
    )


@resdir_cli.command("reindex")
@click.option("--procs", default=1, show_default=True, help="Indexing processes.")
def reindex(procs: int) -> None:
    """Build a fresh search index beside the old one and swap it in."""
    started = time.perf_counter()
    count = indexing.reindex(procs=procs)
    click.echo(f"indexed {count} programs in {time.perf_counter() - started:.1f}s")


@resdir_cli.command("sync-index")
def sync_index() -> None:
    """Apply changes still waiting in the index outbox."""
    count = indexing.apply_pending()
    left = indexing.pending_count()
    click.echo(f"applied {count} program(s); {left} still waiting")
    if left:
        raise click.ClickException("some changes could not be applied; see the log")


@resdir_cli.command("check-index")
@click.option("--repair", is_flag=True, help="Rewrite what drifted.")
def check_index(repair: bool) -> None:
    """Report programs missing from, extra in, or out of date in the search index."""
    found = indexing.drift()
    pending = indexing.pending_count()
    for kind, ids in found.items():
        click.echo(f"{kind}: {len(ids)}" + (f" ({', '.join(ids[:5])}...)" if ids else ""))
    click.echo(f"waiting in outbox: {pending}")
    drifted = sorted({i for ids in found.values() for i in ids})
    if drifted and repair:
        indexing.repair(found)
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
    if not indexing.search_index().exists() or indexing.pending_count():
        reindex.callback(1)
    else:
        click.echo("search index present")


@resdir_cli.command("send-reminders")
def send_reminders() -> None:
    """E-mail agencies about overdue referrals (once per referral and day; cron-friendly)."""
    from resdir.referrals.operations import send_reminders as send

    click.echo(f"sent {send()} reminder(s)")


@resdir_cli.command("send-verification-requests")
def send_verification_requests() -> None:
    """E-mail agencies whose active listings are stale (once per agency and week)."""
    from resdir.agencies.operations import send_verification_requests as send

    count = send(current_app.config["RESDIR_STALE_AFTER_DAYS"])
    click.echo(f"sent {count} verification request(s)")


def register_cli(app: Flask) -> None:
    from resdir.auth import cli as auth_cli

    auth_cli.register(resdir_cli)
    app.cli.add_command(resdir_cli)
