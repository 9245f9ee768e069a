"""The OpenAPI document of resdir's JSON API (filled in by the OpenAPI work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("openapi", __name__, url_prefix="/api")
