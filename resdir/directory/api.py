"""JSON API for programs: search and one program in full."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from resdir.directory import indexing, operations, searching
from resdir.directory.present import service_json
from resdir.extensions import UNLIMITED_ENDPOINTS

bp = Blueprint("directory_api", __name__, url_prefix="/api/v1")
UNLIMITED_ENDPOINTS.add("directory_api.search")


@bp.get("/search")
def search():
    """Search programs by words and filters; same parameters as the search page.

    A repeated query is answered from the answers this process keeps for the current
    state of its index (RESDIR_SEARCH_CACHE_ENTRIES; `X-Search-Cache: hit` or `miss`)."""
    key = searching.answer_key(request.args)
    if key is None or not current_app.config["RESDIR_SEARCH_CACHE_ENTRIES"]:
        return _answer()
    made = []  # a searched answer's response, sent as it is (not made twice)

    def compute() -> bytes:
        made.append(_answer())
        return made[0].get_data()

    body, hit = indexing.search_index().remembered(key, compute)
    response = made[0] if made else current_app.response_class(
        body, mimetype=current_app.json.mimetype)
    response.headers["X-Search-Cache"] = "hit" if hit else "miss"
    return response


def _answer():
    return jsonify(searching.answer(searching.parse(request.args)))


@bp.get("/services/<service_id>")
def service(service_id: str):
    """Return one program in full (HSDS field names, plus resdir's extensions)."""
    return jsonify(service_json(operations.get_service(service_id)))
