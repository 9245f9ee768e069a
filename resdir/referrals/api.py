"""Referrals through the JSON API (the FHIR face, and the referral's FHIR Bundle at
/api/v1/referrals/<id>/fhir, are resdir.interop.fhir)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from resdir import params
from resdir.errors import BadParameter, json_body
from resdir.referrals import lists, operations, present
from resdir.referrals.states import STATUSES

bp = Blueprint("referrals_api", __name__, url_prefix="/api/v1")


@bp.post("/referrals")
def create():
    """Refer a client to a program; 201 with the referral."""
    referral = operations.create_referral(g.user, json_body(operations.CREATE_FIELDS))
    return jsonify(present.referral_json(referral, g.user)), 201


@bp.get("/referrals")
def index():
    """The referrals the caller may see, filtered by status, need and overdue."""
    status = request.args.get("status") or None
    if status and status not in STATUSES:
        raise BadParameter("status must be one of: " + ", ".join(STATUSES) + ".", "status")
    found = lists.visible(g.user, status=status, need=request.args.get("need") or None,
                          overdue_only=params.flag(request.args, "overdue"))
    return jsonify({"total": len(found),
                    "results": [present.referral_json(r, g.user) for r in found]})


@bp.get("/referrals/<referral_id>")
def show(referral_id: str):
    """One referral with its status, version and timeline."""
    return jsonify(present.referral_json(operations.get_referral(g.user, referral_id),
                                            g.user))


@bp.patch("/referrals/<referral_id>")
def change(referral_id: str):
    """Change the status: {status, reason, reason_text, outcome, version, note}."""
    referral = operations.get_referral(g.user, referral_id, audit=False)
    body = json_body(operations.CHANGE_FIELDS)
    if "consent" in body and "status" not in body:
        referral = operations.give_consent(g.user, referral, body["consent"],
                                           body.get("version"))
    else:
        if isinstance(body.get("outcome"), dict) and "procedures" in body["outcome"]:
            raise BadParameter("outcome.procedures is set over FHIR (Task.output "
                               "resulting-activity), not here.", "outcome.procedures")
        referral = operations.change_status(g.user, referral, body)
    return jsonify(present.referral_json(referral, g.user))


@bp.post("/referrals/<referral_id>/notes")
def note(referral_id: str):
    """Add a note to the referral's timeline."""
    referral = operations.get_referral(g.user, referral_id, audit=False)
    operations.add_note(g.user, referral, json_body({"note"}).get("note"))
    return jsonify(present.referral_json(referral, g.user)), 201
