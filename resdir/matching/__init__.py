"""Clients, needs screening and explainable eligibility matching."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Pages and APIs load when the app is built, not with the package: models import the
    # package (Alembic, other features' models) and must not pull in every feature's views.
    from resdir.matching import api, client_form, client_hints, views  # noqa: PLC0415

    app.jinja_env.globals["client_edit"] = client_form.edit_state
    app.extensions["client_hints"] = client_hints  # for the directory's search page
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
