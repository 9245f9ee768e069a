"""Open formats in and out: HSDS import and export, the HSDS read API, the OpenAPI document."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Pages and APIs load when the app is built, not with the package: models import the
    # package (Alembic, other features' models) and must not pull in every feature's views.
    from resdir.interop import fhir, hsds_api, import_views, openapi, upload_views  # noqa: PLC0415

    fhir.init_app(app)
    app.register_blueprint(hsds_api.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(upload_views.bp)
    app.register_blueprint(import_views.bp)
