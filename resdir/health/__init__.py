"""Health check for load balancers and process supervisors (`GET /healthz`)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Pages and APIs load when the app is built, not with the package: models import the
    # package (Alembic, other features' models) and must not pull in every feature's views.
    from resdir.health import views  # noqa: PLC0415

    app.register_blueprint(views.bp)
