"""The partner agency portal: agency staff keep their own listings true."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Pages and APIs load when the app is built, not with the package: models import the
    # package (Alembic, other features' models) and must not pull in every feature's views.
    from resdir.agencies import api, models, views  # noqa: F401, PLC0415  (models: migrations)

    app.register_blueprint(views.bp)
    app.register_blueprint(views.suggestions)
    app.register_blueprint(api.bp)
