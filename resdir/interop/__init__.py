"""Open formats in and out: HSDS import and export, the HSDS read API, the OpenAPI document."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from resdir.interop import fhir, hsds_api, openapi

    fhir.init_app(app)
    app.register_blueprint(hsds_api.bp)
    app.register_blueprint(openapi.bp)
