"""resdir as a FHIR R4 platform for SDOH Clinical Care referrals (see routes.py)."""

from __future__ import annotations

from flask import Flask

from resdir import errors


def init_app(app: Flask) -> None:
    # Pages and APIs load when the app is built, not with the package: models import the
    # package (Alembic, other features' models) and must not pull in every feature's views.
    from resdir.interop.fhir import outcome, routes  # noqa: PLC0415

    app.register_blueprint(routes.bp)
    app.register_blueprint(routes.api_bp)
    errors.PREFIX_RENDERERS["/fhir"] = outcome.render
