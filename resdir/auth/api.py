"""Account endpoints of the JSON API (bearer token)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from resdir.auth import policy

bp = Blueprint("auth_api", __name__, url_prefix="/api/v1")


@bp.get("/me")
def me():
    """Who the token belongs to, and what they may do."""
    policy.require_login(g.user)
    user = g.user
    return jsonify({
        "id": user.id,
        "email": user.email,
        "role": user.role,
        "care_organization_id": user.care_organization_id,
        "organization_id": user.organization_id,
    })
