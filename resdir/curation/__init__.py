"""Administrators' directory pages: every organization and program, merges of duplicates."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Pages load when the app is built, not with the package (see resdir/agencies).
    from resdir.curation import views  # noqa: PLC0415

    app.register_blueprint(views.bp)
