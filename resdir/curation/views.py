"""The admin directory: browse and search, create organizations, link staff, merge."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from resdir.auth import policy
from resdir.auth.forms import ConfirmForm, require_valid_form
from resdir.curation import merging, operations
from resdir.errors import BadParameter, Conflict

bp = Blueprint("curation", __name__, url_prefix="/admin/directory")


@bp.before_request
def admins_only():
    policy.require_curate_directory(g.user)


def _organizations_page(error=None, status=200, values=None):
    q = request.args.get("q", "")
    found = operations.organizations(q, request.args.get("page"))
    return render_template("admin/organizations.html", found=found, q=q, form=ConfirmForm(),
                           error=error, values=values or {}), status


@bp.get("/")
def organizations():
    """Every organization, searched by name, a page at a time; the create form."""
    return _organizations_page()


@bp.post("/organizations")
def create_organization():
    """Create an organization, then show its page."""
    require_valid_form()
    values = {k: request.form.get(k, "") for k in ("name", "website", "email", "description")}
    try:
        org = operations.create_organization(g.user, **values)
    except BadParameter as exc:
        return _organizations_page(exc, 400, values)
    flash(f"Created {org.name}.")
    return redirect(url_for("curation.organization", organization_id=org.id), 303)


@bp.get("/programs")
def programs():
    """Every program of every organization, searched by its or its organization's name."""
    q = request.args.get("q", "")
    found = operations.programs(q, request.args.get("page"))
    return render_template("admin/programs.html", found=found, q=q)


def _organization_page(org, error=None, status=200, merge=None):
    programs, program_count = operations.programs_of(org)
    return render_template(
        "admin/organization.html", org=org, staff=operations.staff(org),
        programs=programs, program_count=program_count,
        duplicates=operations.likely_duplicates(org), form=ConfirmForm(), error=error,
        merge=merge, sent=request.form), status


@bp.get("/organizations/<organization_id>")
def organization(organization_id: str):
    """One organization: its programs (with Edit links), its staff, and its merge form."""
    return _organization_page(operations.get_organization(organization_id))


@bp.post("/organizations/<organization_id>/people")
def link_person(organization_id: str):
    """Link an agency user (by e-mail) to this organization."""
    org = operations.get_organization(organization_id)
    require_valid_form()
    try:
        person = operations.link_user(g.user, org, request.form.get("email"))
    except BadParameter as exc:
        return _organization_page(org, exc, 400)
    flash(f"{person.email} now keeps the listings of {org.name}.")
    return redirect(url_for("curation.organization", organization_id=org.id), 303)


@bp.post("/organizations/<organization_id>/merge")
def merge(organization_id: str):
    """Merge a duplicate into this organization: first what would move, then (confirmed)
    the merge itself."""
    org = operations.get_organization(organization_id)
    require_valid_form()
    try:
        duplicate = operations.find_organization(request.form.get("duplicate"))
        plan = merging.plan_merge(g.user, org, duplicate)
        if request.form.get("confirm") != "yes":
            return _organization_page(org, merge=plan)
        name = duplicate.name  # the row is gone after the merge
        merging.merge(g.user, org.id, duplicate.id)
    except (BadParameter, Conflict) as exc:
        return _organization_page(org, exc, exc.status)
    flash(f"Merged {name} into {org.name}: {plan.programs} program(s), "
          f"{plan.locations} location(s), {plan.people} person(s) and {plan.referrals} "
          "referral(s) moved.")
    return redirect(url_for("curation.organization", organization_id=org.id), 303)
