"""The OpenAPI 3.1 document of resdir's JSON API, served at GET /api/openapi.json.

The document is data (openapi.json beside this file): every route under /api/v1, /hsds and
/fhir with its parameters, bodies, answers and error shapes. tests/test_openapi.py fails
when a JSON route is missing from it, and runs schemathesis against the live app with it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import Blueprint, jsonify

bp = Blueprint("openapi", __name__, url_prefix="/api")
DOCUMENT = Path(__file__).with_name("openapi.json")


@cache
def document_data() -> dict:
    return json.loads(DOCUMENT.read_text(encoding="utf-8"))


@bp.get("/openapi.json")
def document():
    """The OpenAPI document (public: it describes the API, not anyone's data)."""
    return jsonify(document_data())
