"""JSON API for programs: search and one program in full."""

from __future__ import annotations

import orjson
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
    return search_json(searching.answer(searching.parse(request.args)))


# orjson's options for jsonify's bytes: keys sorted; dates and dataclasses go to `default`
# (jsonify writes them its own way), which hands the answer to jsonify.
_ORJSON = (orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE | orjson.OPT_PASSTHROUGH_DATETIME
           | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS)


def _not_plain(value):
    raise TypeError(type(value).__name__)


def search_json(answer: dict):
    """jsonify(answer), byte for byte, made by orjson when that is sure to be the same
    bytes: compact (not debug), ASCII only, and no DEL (which jsonify escapes). The one
    float of an answer, a distance rounded to 2 decimals, is written alike by both (they
    differ only below 1e-4 and from 1e16). A third of jsonify's time (issue 12)."""
    provider = current_app.json
    compact = not ((provider.compact is None and current_app.debug) or provider.compact is False)
    if compact and provider.ensure_ascii and provider.sort_keys:
        try:
            body = orjson.dumps(answer, default=_not_plain, option=_ORJSON)
        except TypeError:
            body = b"\x7f"
        if body.isascii() and b"\x7f" not in body:
            return current_app.response_class(body, mimetype=provider.mimetype)
    return jsonify(answer)


@bp.get("/services/<service_id>")
def service(service_id: str):
    """Return one program in full (HSDS field names, plus resdir's extensions)."""
    return jsonify(service_json(operations.get_service(service_id)))
