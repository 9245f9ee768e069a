"""The directory: organizations, programs (HSDS services), locations, search."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from resdir.directory import api, indexing, views

    indexing.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
