"""Closed-loop referrals: consent, agency inbox, status to closure, reminders, FHIR."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Pages and APIs load when the app is built, not with the package: models import the
    # package (Alembic, other features' models) and must not pull in every feature's views.
    from resdir.referrals import api, picks, picks_views, views  # noqa: PLC0415

    app.register_blueprint(views.bp)
    app.register_blueprint(picks_views.bp)
    app.context_processor(lambda: {"picked_ids": picks.picked()})
    app.register_blueprint(api.bp)
