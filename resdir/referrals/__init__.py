"""Closed-loop referrals: consent, agency inbox, status to closure, reminders, FHIR."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from resdir.referrals import api, notify, picks, picks_views, views

    app.register_blueprint(views.bp)
    app.register_blueprint(picks_views.bp)
    app.context_processor(lambda: {"picked_ids": picks.picked()})
    app.register_blueprint(api.bp)
    app.after_request(notify.warn_about_undelivered_mail)
