"""JSON API for programs: search and one program in full."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from resdir.directory import operations, searching
from resdir.directory.present import service_json

bp = Blueprint("directory_api", __name__, url_prefix="/api/v1")


@bp.get("/search")
def search():
    """Search programs by words and filters; same parameters as the search page."""
    query = searching.parse(request.args)
    result, services = searching.run(query)
    return jsonify(searching.result_json(result, services, query))


@bp.get("/services/<service_id>")
def service(service_id: str):
    """Return one program in full (HSDS field names, plus resdir's extensions)."""
    return jsonify(service_json(operations.get_service(service_id)))
