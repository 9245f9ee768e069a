"""resdir as a FHIR R4 platform for SDOH Clinical Care referrals (see routes.py)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from resdir import errors
    from resdir.interop.fhir import outcome, routes

    app.register_blueprint(routes.bp)
    errors.PREFIX_RENDERERS["/fhir"] = outcome.render
