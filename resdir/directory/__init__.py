"""The directory: organizations, programs (HSDS services), locations, search."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Pages and APIs load when the app is built, not with the package: models import the
    # package (Alembic, other features' models) and must not pull in every feature's views.
    from resdir.directory import api, indexing, views  # noqa: PLC0415

    indexing.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
