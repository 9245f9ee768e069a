"""resdir: community resource directory and closed-loop referral matcher."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event

from resdir import config
from resdir.basics import ROOT
from resdir.extensions import csrf, db, migrate


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings -> extensions -> blueprints -> error handlers -> CLI."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    _configure(app, test_config)
    db.init_app(app)
    # The features (and versioning, which reads their models) are imported here, not at the
    # top: each of them imports this package first, so a top-level import would be a cycle.
    from resdir import versioning  # noqa: PLC0415

    versioning.install()  # a change to any row of a listing, client or referral bumps its version
    with app.app_context():
        _tune_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "resdir" / "migrations"))

    from resdir import (  # noqa: PLC0415
        agencies,
        auth,
        categorize,
        curation,
        directory,
        errors,
        health,
        i18n,
        interop,
        mail,
        matching,
        referrals,
        values,
    )
    from resdir.cli import register_cli  # noqa: PLC0415

    auth.init_app(app)
    directory.init_app(app)
    agencies.init_app(app)
    curation.init_app(app)
    matching.init_app(app)
    categorize.init_app(app)
    referrals.init_app(app)
    app.after_request(mail.warn_about_undelivered_mail)  # any feature's mail
    interop.init_app(app)
    health.init_app(app)
    i18n.init_app(app)
    _exempt_api_from_csrf(app)
    values.init_app(app)
    errors.register_error_handlers(app)
    register_cli(app)
    return app


def _configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Settings from the environment (resdir.config), then a test's own on top."""
    app.config.update(config.load(app.instance_path))
    if test_config:
        app.config.update(test_config)
        if "RESDIR_DATABASE_URL" in test_config:
            app.config["SQLALCHEMY_DATABASE_URI"] = test_config["RESDIR_DATABASE_URL"]
        if "RESDIR_SECRET_KEY" in test_config:
            app.config["SECRET_KEY"] = test_config["RESDIR_SECRET_KEY"]
        app.config["MAX_CONTENT_LENGTH"] = config.max_content_length(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", _engine_options(app))


def _exempt_api_from_csrf(app: Flask) -> None:
    """API requests carry a bearer token, never a cookie, so CSRF cannot ride on them."""
    for blueprint in app.blueprints.values():
        if (blueprint.url_prefix or "").startswith(("/api", "/fhir", "/hsds")):
            csrf.exempt(blueprint)


def _tune_sqlite(engine) -> None:
    """WAL lets readers work while one process writes (web workers, CLI, index sync)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _engine_options(app: Flask) -> dict[str, Any]:
    # Statement parameters are client data (names, birth dates): never in an error message
    # or a log line, whatever the logging level (issue 9, item 7).
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Several processes (web workers, CLI) share the file: wait for locks a while.
        return {"connect_args": {"timeout": 15}, "hide_parameters": True}
    return {"pool_pre_ping": True, "hide_parameters": True}
