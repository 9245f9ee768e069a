"""Agency staff's pages."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from resdir.agencies import editor, operations
from resdir.agencies.listing import EDITABLE, FLAGS, LABELS, fingerprint, listing_form
from resdir.auth import operations as auth
from resdir.auth import policy
from resdir.auth.forms import ConfirmForm, require_valid_form
from resdir.directory import models as m
from resdir.directory.operations import get_service
from resdir.directory.present import is_stale
from resdir.errors import BadParameter, Conflict
from resdir.extensions import db

bp = Blueprint("agency", __name__, url_prefix="/agency")


@bp.before_request
def agency_staff_only():
    policy.require_role(g.user, "agency", "admin")


@bp.get("/")
def home():
    """The agency's own programs, with their capacity."""
    days = current_app.config["RESDIR_STALE_AFTER_DAYS"]
    return render_template("agency/home.html", services=operations.services_of(g.user),
                           form=ConfirmForm(), statuses=m.CAPACITY_STATUSES, is_stale=is_stale,
                           stale=operations.stale_services(g.user, days),
                           suggestions=operations.open_suggestions(g.user), days=days)


@bp.post("/programs/<service_id>/capacity")
def capacity(service_id: str):
    """Update one program's capacity (only the agency's own programs)."""
    service = operations.editable_service(g.user, service_id)
    require_valid_form()
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


@bp.route("/programs/<service_id>/edit", methods=["GET", "POST"])
def edit(service_id: str):
    """Edit a listing: hours, eligibility, languages, how to apply, capacity, areas...

    Only the fields whose text the user changed are saved. After a conflict (someone else
    saved first) the form comes back with this user's changes kept and every other field
    showing the current listing, at the current version, so saving again applies exactly
    this user's changes and undoes nobody else's.
    """
    service = operations.editable_service(g.user, service_id)
    form = ConfirmForm()
    error = None
    values = listing_form(service)
    version, seen = service.version, {k: fingerprint(values[k]) for k in EDITABLE}
    mine: set[str] = set()
    if request.method == "POST":
        require_valid_form()
        changes = {k: request.form[k] for k in EDITABLE if k in request.form}
        for flag, word in FLAGS.items():
            changes[flag] = word if request.form.get(flag) else ""
        try:
            editor.apply(request.form, changes, values)
            saved = operations.save_listing(g.user, service, changes,
                                            request.form.get("version"))
        except (BadParameter, Conflict) as exc:
            db.session.rollback()
            error = exc
            sent_seen = {k: request.form.get("seen_" + k) for k in EDITABLE}
            mine = {k for k, v in changes.items() if fingerprint(v) != sent_seen.get(k)}
            if isinstance(exc, Conflict):
                values = listing_form(service)  # the listing as it is now
                version, seen = service.version, {k: fingerprint(values[k]) for k in EDITABLE}
            else:
                version, seen = request.form.get("version", ""), sent_seen
            values = {**values, **{k: changes[k] for k in mine}}
        else:
            flash(f"Saved {len(saved)} change{'' if len(saved) == 1 else 's'} to "
                  f"{service.name}. Search shows them now.")
            if policy.is_admin(g.user):  # admins edit from the directory: back to it
                return redirect(url_for("curation.organization",
                                        organization_id=service.organization_id), 303)
            return redirect(url_for("agency.home"), 303)
    current = listing_form(service) if isinstance(error, Conflict) else {}
    hour_rows, rows_seen = editor.shown_rows(request.form, values, current, error)
    return render_template("agency/edit.html", service=service, values=values,
                           fields=EDITABLE, labels=LABELS, form=form, error=error,
                           version=version, seen=seen, mine=mine, current=current,
                           statuses=m.CAPACITY_STATUSES, service_statuses=m.SERVICE_STATUSES,
                           hour_rows=hour_rows, rows_seen=rows_seen,
                           insurance=editor.INSURANCE_LABELS,
                           insured=editor.insurance_picked(values["insurance"]),
                           ), error.status if error else 200


@bp.post("/programs/<service_id>/confirm")
def confirm(service_id: str):
    """Confirm the listing is correct today (sets the verification date)."""
    service = operations.editable_service(g.user, service_id)
    require_valid_form()
    operations.confirm_listing(g.user, service)
    flash(f"{service.name} confirmed as correct today.")
    return redirect(url_for("agency.home"), 303)


@bp.post("/confirm-all")
def confirm_all():
    """Confirm every listing of the organization is correct today, in one step."""
    require_valid_form()
    count = operations.confirm_all_listings(g.user)
    flash(f"All {count} listing{'' if count == 1 else 's'} confirmed as correct today.")
    return redirect(url_for("agency.home"), 303)


@bp.get("/programs/<service_id>/history")
def history(service_id: str):
    """Every change to the listing, field by field; admins may revert one."""
    service = operations.editable_service(g.user, service_id)
    changes = operations.history(g.user, service)
    return render_template("agency/history.html", service=service, changes=changes,
                           people=auth.display_names({c.updated_by for c in changes}),
                           form=ConfirmForm())


@bp.post("/changes/<int:change_id>/revert")
def revert(change_id: int):
    """Put a field back as it was before a change (admins)."""
    require_valid_form()
    try:
        operations.revert(g.user, change_id)
    except (BadParameter, Conflict) as exc:
        flash(exc.message)
    else:
        flash("Change reverted.")
    return redirect(request.referrer or url_for("agency.home"), 303)


@bp.post("/suggestions/<suggestion_id>")
def handle_suggestion(suggestion_id: str):
    """Accept (after editing) or dismiss a suggestion about one of the agency's listings."""
    require_valid_form()
    operations.handle_suggestion(g.user, suggestion_id, request.form.get("action") == "accept")
    return redirect(url_for("agency.home"), 303)


suggestions = Blueprint("suggestions", __name__)


@suggestions.post("/programs/<service_id>/suggest")
def suggest(service_id: str):
    """Suggest an edit or report a problem on any program (signed-in people)."""
    policy.require_login(g.user)
    require_valid_form()
    service = get_service(service_id)
    try:
        operations.suggest(g.user, service, request.form.get("kind", ""), request.form.get("text"))
    except BadParameter as exc:
        flash(exc.message)
    else:
        flash("Thank you: the agency will review your suggestion.")
    return redirect(url_for("directory.program", service_id=service_id), 303)
