"""The partner agency portal: agency staff keep their own listings true."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from resdir.agencies import api, models, views  # noqa: F401  (models: migrations)

    app.register_blueprint(views.bp)
    app.register_blueprint(views.suggestions)
    app.register_blueprint(api.bp)
