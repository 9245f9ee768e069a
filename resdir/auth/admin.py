"""Administrators' pages: people (invite, deactivate, roles) and the audit log."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from sqlalchemy import func, select

from resdir.audit import operations as audit
from resdir.auth import operations, policy
from resdir.auth.forms import ConfirmForm, InviteForm, RoleForm
from resdir.auth.models import CareOrganization, User
from resdir.directory.models import Organization, Service
from resdir.errors import BadParameter
from resdir.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def admins_only():
    policy.require_admin(g.user)


@bp.get("/users")
def users():
    """List everyone, with the invite form."""
    return render_template("admin/users.html", users=operations.users(), invite=InviteForm(),
                           role_form=RoleForm(), confirm=ConfirmForm(), link=None, error=None)


@bp.post("/users")
def invite():
    """Invite a person: the account and a one-time set-password link, shown once."""
    form = InviteForm()
    link, error, status = None, None, 201
    if form.validate_on_submit():
        try:
            user = operations.create_user(form.email.data, form.role.data,
                                          form.organization.data or None, form.name.data)
            link = operations.setup_link(operations.setup_link_token(user))
        except BadParameter as exc:
            error, status = exc.message, 400
    else:
        error, status = "Check the form: e-mail and role are required.", 400
    return render_template("admin/users.html", users=operations.users(), invite=form,
                           role_form=RoleForm(), confirm=ConfirmForm(), link=link,
                           error=error), status


@bp.post("/users/<user_id>/deactivate")
def deactivate(user_id: str):
    """Deactivate a person: their sessions and tokens end now."""
    user = operations.get_user(user_id)
    if ConfirmForm().validate_on_submit():
        if user.id == g.user.id:
            raise BadParameter("You cannot deactivate yourself.")
        operations.deactivate(user)
    return redirect(url_for("admin.users"))


@bp.post("/users/<user_id>/reactivate")
def reactivate(user_id: str):
    """Let a deactivated person sign in again."""
    user = operations.get_user(user_id)
    if ConfirmForm().validate_on_submit():
        operations.reactivate(user)
    return redirect(url_for("admin.users"))


@bp.post("/users/<user_id>/role")
def change_role(user_id: str):
    """Change a person's role (and organization)."""
    user = operations.get_user(user_id)
    form = RoleForm()
    if form.validate_on_submit():
        operations.change_role(user, form.role.data, form.organization.data or None)
    return redirect(url_for("admin.users"))


def _day(name: str) -> date | None:
    text = (request.args.get(name) or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadParameter(f"{name} must be a date like 2026-11-24.", name) from None


def _filtered():
    return audit.search(
        user_id=_user_id((request.args.get("user") or "").strip()),
        record_id=_record_id((request.args.get("record") or "").strip()),
        day_from=_day("from"),
        day_to=_day("to"),
    )


def _user_id(text: str) -> str | None:
    """The user filter takes an e-mail (what an admin knows) or an id."""
    if not text:
        return None
    found = db.session.scalar(select(User.id).where(func.lower(User.email) == text.lower()))
    return found or text


def _record_id(text: str) -> str | None:
    """The record filter takes a program's, organization's or person's name, or an id."""
    if not text:
        return None
    low = text.lower()
    for column, key in ((Service.name, Service.id), (Organization.name, Organization.id),
                        (CareOrganization.name, CareOrganization.id), (User.email, User.id)):
        found = db.session.scalar(select(key).where(func.lower(column) == low).limit(1))
        if found:
            return found
    return text


def _names(events) -> tuple[dict, dict]:
    """Names for the user and record ids on the page. Clients and referrals stay ids: the
    log must not become a second list of clients."""
    user_ids = {e.user_id for e in events if e.user_id}
    users = {u.id: u.email for u in db.session.scalars(select(User).where(
        User.id.in_(user_ids | {e.record_id for e in events if e.record_type == "user"})))}
    records: dict = {}
    for kind, model in (("service", Service), ("organization", Organization),
                        ("care_organization", CareOrganization)):
        ids = {e.record_id for e in events if e.record_type == kind and e.record_id}
        if ids:
            records.update({(kind, r.id): r.name for r in db.session.scalars(
                select(model).where(model.id.in_(ids)))})
    records.update({("user", k): v for k, v in users.items()})
    return users, records


@bp.get("/audit")
def audit_log():
    """The audit log, filtered by person, record and dates."""
    events = _filtered()
    users, records = _names(events)
    return render_template("admin/audit.html", events=events, args=request.args, users=users,
                           records=records)


@bp.get("/audit.csv")
def audit_csv():
    """The filtered audit log as CSV, safe to open in a spreadsheet."""
    events = _filtered()
    audit.record_now("audit.export", "audit_event", None)
    return Response(audit.to_csv(events), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit.csv"})
