"""Referral pages: my referrals / agency inbox, one referral, the client hand-out."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for

from resdir import params
from resdir.auth import policy
from resdir.auth.forms import ConfirmForm, require_valid_form
from resdir.directory import models as dm
from resdir.directory import present
from resdir.errors import BadParameter, Conflict, Forbidden
from resdir.extensions import db
from resdir.matching.contact import METHODS
from resdir.matching.needs import load_needs
from resdir.matching.operations import clients_of
from resdir.referrals import lists, operations, report_charts, reports, seen, states
from resdir.referrals import picks as picks_module
from resdir.referrals import present as shown_as
from resdir.referrals.models import CONTACT
from resdir.referrals.report_csv import to_csv

bp = Blueprint("referrals", __name__)


@bp.before_request
def signed_in():
    policy.require_login(g.user)


@bp.get("/referrals")
def index():
    """My referrals (coordinators), the inbox (agencies), or all (admins)."""
    status = request.args.get("status") or None
    if status and status not in states.STATUSES:
        raise BadParameter("Unknown status.", "status")
    overdue_only = params.flag(request.args, "overdue")
    found = lists.visible(g.user, status=status, need=request.args.get("need") or None,
                          overdue_only=overdue_only,
                          agency=request.args.get("agency") or None,
                          client=request.args.get("client") or None)
    # The client filter is a list of the organization's clients by id: a name typed into
    # the address bar would put client data in URLs and logs.
    their_clients = clients_of(g.user) if policy.can_list_clients(g.user) else []
    return render_template("referrals/index.html", rows=shown_as.list_rows(g.user, found),
                           markers=seen.markers(g.user, [r.id for r in found]),
                           needs=load_needs(), args=request.args, statuses=states.STATUSES,
                           labels=states.LABELS, reasons=states.REASONS, form=ConfirmForm(),
                           clients=their_clients, overdue_only=overdue_only)


@bp.post("/referrals")
def create():
    """Refer one client to the programs picked on the "Find help" page."""
    require_valid_form()
    picks = request.form.getlist("pick")
    if not picks:
        flash("Pick at least one program.")
        return redirect(url_for("matching.client", client_id=request.form.get("client_id", "")),
                        303)
    pairs = [(need, service_id) for need, _, service_id in (p.partition(":") for p in picks)]
    made, drafts, problems = picks_module.refer(g.user, request.form.get("client_id", ""),
                                                pairs, request.form)
    flash(*picks_module.summary(len(picks), made, drafts, problems))
    return redirect(url_for("referrals.index"), 303)


@bp.get("/referrals/<referral_id>")
def show(referral_id: str):
    """One referral: where it stands, its timeline, and what this side may do next."""
    referral = operations.get_referral(g.user, referral_id)
    shown = shown_as.referral_json(referral, g.user)
    seen.mark_seen(g.user, referral.id)
    # A draft is sent by recording consent (its own form), not by picking a status.
    choices = [s for s in shown["next"] if not (s == "requested" and shown["status"] == "draft")]
    reason_for = [states.VERBS[s] for s in choices if s in states.NEEDS_REASON]
    return render_template("referrals/show.html", r=shown, choices=choices,
                           labels=states.LABELS, reason_for=" or ".join(reason_for),
                           form=ConfirmForm(), reasons=states.REASONS,
                           enrollment=states.ENROLLMENT, needs=load_needs(), contact=CONTACT,
                           methods=METHODS)


@bp.post("/referrals/<referral_id>/send")
def send(referral_id: str):
    """Record the client's consent on a draft and send it to the agency, in one step."""
    require_valid_form()
    referral = operations.get_referral(g.user, referral_id, audit=False)
    consent = {"given": request.form.get("consent") == "yes",
               "method": request.form.get("consent_method") or None,
               "scope": request.form.get("consent_scope") or None,
               "contact": request.form.get("consent_contact") == "yes"}
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        version = None
    try:
        operations.send_draft(g.user, referral, consent, version)
        flash("Consent recorded; the referral was sent to the agency.")
    except (BadParameter, Conflict, Forbidden) as exc:
        flash(exc.message, "warning")
    return redirect(url_for("referrals.show", referral_id=referral_id), 303)


@bp.post("/referrals/<referral_id>/status")
def change(referral_id: str):
    """Accept, reject, start, hold, complete, fail or cancel (with reason or outcome)."""
    require_valid_form()
    referral = operations.get_referral(g.user, referral_id, audit=False)
    data = {"status": request.form.get("status"), "reason": request.form.get("reason") or None,
            "reason_text": request.form.get("reason_text") or None,
            "note": request.form.get("note") or None}
    if request.form.get("enrollment"):
        data["outcome"] = {"enrollment": request.form["enrollment"],
                           "provided": request.form.get("provided", "")}
    try:
        data["version"] = int(request.form.get("version", ""))
        operations.change_status(g.user, referral, data)
    except ValueError:
        flash("The form is missing its version; reload the page.")
    except (BadParameter, Conflict, Forbidden) as exc:
        flash(exc.message, "warning")
    else:
        if request.form.get("back") == "inbox":
            flash(f"Referral {states.LABELS.get(data['status'], data['status']).lower()}.")
    if request.form.get("back") == "inbox":  # answered from the list, in one step
        return redirect(url_for("referrals.index"), 303)
    return redirect(url_for("referrals.show", referral_id=referral_id), 303)


@bp.post("/referrals/<referral_id>/notes")
def note(referral_id: str):
    """Add a note to the timeline."""
    require_valid_form()
    referral = operations.get_referral(g.user, referral_id, audit=False)
    try:
        operations.add_note(g.user, referral, request.form.get("note"))
    except (BadParameter, Forbidden) as exc:
        flash(exc.message)
    return redirect(url_for("referrals.show", referral_id=referral_id), 303)


@bp.get("/referrals/<referral_id>/handout")
def handout(referral_id: str):
    """A one-page hand-out for the client: where to go, when, what to bring."""
    referral = operations.get_referral(g.user, referral_id)
    policy.require_handout(g.user, referral)
    service = db.session.get(dm.Service, referral.service_id)
    return render_template("referrals/handout.html", service=service, referral=referral,
                           week=present.week_hours(service),
                           eligibility=present.eligibility_lines(service))


def _report():
    scope = policy.referral_scope(g.user)
    if scope is None:
        raise Forbidden("Your role does not allow this.")
    text = (request.args.get("since") or "").strip()
    try:
        since = date.fromisoformat(text) if text else None
    except ValueError:
        raise BadParameter("since must be a date like 2026-01-01.", "since") from None
    return reports.summary(scope, since)


@bp.get("/reports/referrals")
def report():
    """Referral outcomes: volumes, loop closure, response times, service gaps."""
    summary = _report()
    charts = {name: report_charts.chart_data_uri(svg)
              for name, svg in report_charts.charts(summary).items()}
    return render_template("referrals/report.html", report=summary, charts=charts,
                           args=request.args)


@bp.get("/reports/referrals.csv")
def report_csv():
    """The same report as CSV (cells cannot start a spreadsheet formula)."""
    summary = _report()
    return Response(to_csv(summary), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=referrals.csv"})
