"""Accounts, roles, sessions, API tokens and the access policy."""

from __future__ import annotations

from flask import Flask, g
from werkzeug.middleware.proxy_fix import ProxyFix

from resdir.auth import policy
from resdir.auth.forms import ConfirmForm
from resdir.extensions import csrf, init_limiter


def init_app(app: Flask) -> None:
    # Pages and APIs load when the app is built, not with the package: models import the
    # package (Alembic, other features' models) and must not pull in every feature's views.
    from resdir.auth import admin, api, headers, sessions, throttle, views  # noqa: PLC0415

    assert throttle.DatabaseStorage  # registers the database:// scheme before init_app

    if app.config["RESDIR_PROXY_COUNT"]:
        n = app.config["RESDIR_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    app.session_interface = sessions.SessionInterface()
    csrf.init_app(app)
    init_limiter(app)
    app.before_request(sessions.load_user)
    headers.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(api.bp)

    # Pages of lower packages (the directory's program page) ask the policy through the
    # template, so that they need not import auth.
    @app.context_processor
    def current_user():
        return {"current_user": g.get("user"), "logout_form": ConfirmForm,
                "can_edit_service": policy.can_edit_service}
