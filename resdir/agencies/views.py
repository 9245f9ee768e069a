"""Agency staff's pages."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from resdir.agencies import operations
from resdir.auth import policy
from resdir.auth.forms import ConfirmForm
from resdir.directory import models as m
from resdir.errors import BadParameter, Conflict

bp = Blueprint("agency", __name__, url_prefix="/agency")


@bp.before_request
def agency_staff_only():
    policy.require_role(g.user, "agency", "admin")


@bp.get("/")
def home():
    """The agency's own programs, with their capacity."""
    return render_template("agency/home.html", services=operations.services_of(g.user),
                           form=ConfirmForm(), statuses=m.CAPACITY_STATUSES)


@bp.post("/programs/<service_id>/capacity")
def capacity(service_id: str):
    """Update one program's capacity (only the agency's own programs)."""
    service = operations.editable_service(g.user, service_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        raise BadParameter("The form expired; reload the page and try again.")
    try:
        operations.update_capacity(g.user, service, request.form.get("capacity_status"),
                                   request.form.get("capacity_available"),
                                   request.form.get("capacity_maximum"),
                                   request.form.get("version"))
    except (BadParameter, Conflict) as exc:
        flash(exc.message)
        return redirect(url_for("agency.home")), 303
    flash(f"Capacity of {service.name} saved.")
    return redirect(url_for("agency.home")), 303
