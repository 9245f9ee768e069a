"""Pages for picked programs: pick and unpick (search results, program pages), the list,
refer all for one client and need, and the hand-out for all (printed or e-mailed)."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from resdir.auth import policy
from resdir.auth.forms import ConfirmForm, require_valid_form
from resdir.errors import BadParameter
from resdir.matching.needs import load_needs
from resdir.matching.operations import clients_of, get_client
from resdir.referrals import handout, picks

bp = Blueprint("picks", __name__)


@bp.before_request
def coordinators_only():
    policy.require_role(g.user, "coordinator")


def _back(fallback: str) -> str:
    """Where the pick button was pressed: a path on this site only (no open redirect)."""
    target = request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


@bp.post("/picks")
def change():
    """Add (or with remove=1, take away) one program; back to where the button was."""
    require_valid_form()
    service_id = request.form.get("service_id", "")
    try:
        if request.form.get("remove"):
            picks.remove(service_id)
        else:
            service = picks.add(service_id)
            flash(f"Picked {service.name}. {len(picks.picked())} picked: refer or make a "
                  "hand-out from Picked programs.")
    except BadParameter as exc:
        flash(exc.message, "warning")
    return redirect(_back(url_for("picks.index")), 303)


@bp.post("/picks/clear")
def clear():
    require_valid_form()
    picks.clear()
    flash("The list of picked programs is empty.")
    return redirect(url_for("picks.index"), 303)


@bp.get("/picks")
def index():
    """The picked programs, and one form to refer them all for a client and a need."""
    return render_template("referrals/picks.html", services=picks.services(),
                           clients=clients_of(g.user), needs=load_needs(), form=ConfirmForm(),
                           chosen=request.args.get("client", ""))


@bp.post("/picks/refer")
def refer():
    """Refer the chosen client to every picked program for one need, in one step."""
    require_valid_form()
    services = picks.services()
    client_id = request.form.get("client_id", "")
    need = request.form.get("need", "")
    if client_id:  # another organization's client: 404 before anything else is said
        get_client(g.user, client_id, audit=False)
    if not services:
        flash("Pick at least one program first.", "warning")
        return redirect(url_for("picks.index"), 303)
    if not client_id or need not in load_needs():
        flash("Choose the client and the need to refer for.", "warning")
        return redirect(url_for("picks.index"), 303)
    made, drafts, problems = picks.refer(g.user, client_id, [(need, s.id) for s in services],
                                         request.form)
    flash(*picks.summary(len(services), made, drafts, problems))
    # Back to the list with this client chosen, so the hand-out is one more click.
    return redirect(url_for("picks.index", client=client_id), 303)


@bp.get("/picks/handout")
def handout_page():
    """The hand-out for all picked programs, to print."""
    services = picks.services()
    return render_template("referrals/handout_many.html",
                           h=handout.build(g.user, services))


@bp.post("/picks/handout/email")
def handout_email():
    """E-mail the hand-out to the chosen client (only if they agreed to e-mail)."""
    require_valid_form()
    client_id = request.form.get("client_id", "")
    try:
        handout.email_to_client(g.user, client_id, picks.services())
    except BadParameter as exc:
        flash(exc.message, "warning")
    else:
        # Not the address itself: flashed messages travel in the session cookie.
        flash("The hand-out was e-mailed to the client's address on record.")
    return redirect(url_for("picks.index", client=client_id or None), 303)
