"""Clients, needs screening and explainable eligibility matching."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from resdir.matching import api, client_form, views

    app.jinja_env.globals["client_edit"] = client_form.edit_state
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
