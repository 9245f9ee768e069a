"""Administrators' directory pages: every organization and program, merges of duplicates."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from resdir.curation import views

    app.register_blueprint(views.bp)
