"""Health check for load balancers and process supervisors (`GET /healthz`)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from resdir.health import views

    app.register_blueprint(views.bp)
