"""Referrals through the JSON API and a FHIR Task endpoint for agency systems."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from resdir import params
from resdir.errors import BadParameter, json_body
from resdir.referrals import operations
from resdir.referrals.fhir import task_update
from resdir.referrals.states import STATUSES

bp = Blueprint("referrals_api", __name__, url_prefix="/api/v1")


@bp.post("/referrals")
def create():
    """Refer a client to a program; 201 with the referral."""
    referral = operations.create_referral(g.user, json_body(operations.CREATE_FIELDS))
    return jsonify(operations.referral_json(referral, g.user)), 201


@bp.get("/referrals")
def index():
    """The referrals the caller may see, filtered by status, need and overdue."""
    status = request.args.get("status") or None
    if status and status not in STATUSES:
        raise BadParameter("status must be one of: " + ", ".join(STATUSES) + ".", "status")
    found = operations.visible(g.user, status=status, need=request.args.get("need") or None,
                               overdue_only=params.flag(request.args, "overdue"))
    return jsonify({"total": len(found),
                    "results": [operations.referral_json(r, g.user) for r in found]})


@bp.get("/referrals/<referral_id>")
def show(referral_id: str):
    """One referral with its status, version and timeline."""
    return jsonify(operations.referral_json(operations.get_referral(g.user, referral_id),
                                            g.user))


@bp.patch("/referrals/<referral_id>")
def change(referral_id: str):
    """Change the status: {status, reason, reason_text, outcome, version, note}."""
    referral = operations.get_referral(g.user, referral_id, audit=False)
    body = json_body(operations.CHANGE_FIELDS)
    if "consent" in body and "status" not in body:
        referral = operations.give_consent(g.user, referral, body["consent"])
    else:
        referral = operations.change_status(g.user, referral, body)
    return jsonify(operations.referral_json(referral, g.user))


@bp.post("/referrals/<referral_id>/notes")
def note(referral_id: str):
    """Add a note to the referral's timeline."""
    referral = operations.get_referral(g.user, referral_id, audit=False)
    operations.add_note(g.user, referral, json_body({"note"}).get("note"))
    return jsonify(operations.referral_json(referral, g.user)), 201


@bp.get("/referrals/<referral_id>/fhir")
def fhir_bundle(referral_id: str):
    """The referral as a FHIR R4 Bundle (SDOHCC ServiceRequest, Task, Patient, ...)."""
    referral = operations.get_referral(g.user, referral_id)
    response = jsonify(operations.fhir_bundle(referral, request.url_root))
    response.mimetype = "application/fhir+json"
    return response


fhir_bp = Blueprint("fhir", __name__, url_prefix="/fhir")


@fhir_bp.put("/Task/<referral_id>")
def put_task(referral_id: str):
    """An agency system updates the referral Task; the same rules as the pages apply."""
    referral = operations.get_referral(g.user, referral_id, audit=False)
    resource = request.get_json(silent=True)
    if not isinstance(resource, dict):
        raise BadParameter("Send a FHIR Task as JSON.", "Task")
    data = task_update(resource, referral)
    if data["version"] is None:
        match = (request.headers.get("If-Match") or "").strip().strip('W/"').strip('"')
        data["version"] = int(match) if match.isdigit() else None
    referral = operations.change_status(g.user, referral, data)
    entries = operations.fhir_bundle(referral, request.url_root)["entry"]
    response = jsonify(next(e["resource"] for e in entries
                            if e["resource"]["resourceType"] == "Task"))
    response.mimetype = "application/fhir+json"
    return response
