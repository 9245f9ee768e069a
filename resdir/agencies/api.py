"""Listing changes through the JSON API (agency or admin token)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from resdir.agencies import operations
from resdir.agencies.listing import EDITABLE, cell_text
from resdir.auth import policy
from resdir.directory import operations as directory
from resdir.directory.present import service_json
from resdir.errors import json_body

bp = Blueprint("agency_api", __name__, url_prefix="/api/v1")


@bp.patch("/services/<service_id>")
def patch_service(service_id: str):
    """Change fields of a program: a JSON object of the agency form's fields (the directory
    CSV's columns: `hours`, `languages`, `capacity_status`, ...; lists as JSON lists or ";"
    text) and the `version` last read. Only the fields sent are checked and changed; 409
    (with `current_version`) when `version` is not the current one."""
    policy.require_login(g.user)
    service = operations.editable_service(g.user, service_id)
    body = json_body({*EDITABLE, "version"})  # an unknown key is a 400 naming it
    changes = {k: cell_text(k, v) for k, v in body.items() if k != "version"}
    operations.save_listing(g.user, service, changes, body.get("version"))
    return jsonify(service_json(directory.get_service(service_id)))
