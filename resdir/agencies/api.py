"""Listing changes through the JSON API (agency or admin token)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from resdir.agencies import operations
from resdir.auth import policy
from resdir.directory import operations as directory
from resdir.directory.present import service_json
from resdir.errors import json_body

bp = Blueprint("agency_api", __name__, url_prefix="/api/v1")


@bp.patch("/services/<service_id>")
def patch_service(service_id: str):
    """Change a program's capacity: {capacity_status, capacity_available, capacity_maximum,
    version}. 409 when `version` is not the current one."""
    policy.require_login(g.user)
    service = operations.editable_service(g.user, service_id)
    body = json_body({"capacity_status", "capacity_available", "capacity_maximum", "version"})
    operations.update_capacity(g.user, service, body.get("capacity_status"),
                               body.get("capacity_available"), body.get("capacity_maximum"),
                               body.get("version"))
    return jsonify(service_json(directory.get_service(service_id)))
