"""Admin pages: the taxonomy crosswalk (/categories/crosswalk) and the review queue of
categories suggested from program text (/categories/review)."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from resdir.auth import policy
from resdir.auth.forms import ConfirmForm, require_valid_form
from resdir.categorize import operations, review
from resdir.categorize.crosswalk import SCHEMES
from resdir.directory.operations import categories
from resdir.errors import BadParameter

bp = Blueprint("categorize", __name__)


@bp.route("/categories/crosswalk", methods=["GET", "POST"])
def crosswalk():
    """Rules from a source's taxonomy terms to our categories; admins change them."""
    policy.require_login(g.user)
    if request.method == "POST":
        require_valid_form()
        if request.form.get("delete"):
            try:
                rule_id = int(request.form["delete"])
            except ValueError:
                raise BadParameter("delete must be a rule number.", "delete") from None
            operations.delete_rule(g.user, rule_id)
            flash("Rule deleted.")
        else:
            rule = operations.set_rule(g.user, request.form.get("scheme", ""),
                                       request.form.get("match", ""),
                                       request.form.get("category", ""),
                                       request.form.get("note", ""))
            flash(f"Rule {rule.scheme} {rule.match!r} saved; it applies from the next import.")
        return redirect(url_for("categorize.crosswalk", scheme=request.args.get("scheme"),
                                q=request.args.get("q")), 303)
    scheme = request.args.get("scheme") or None
    if scheme and scheme not in SCHEMES:
        raise BadParameter(f"scheme must be one of {', '.join(SCHEMES)}.", "scheme")
    text = (request.args.get("q") or "").strip()[:100] or None
    return render_template("categorize/crosswalk.html", rules=operations.listing(scheme, text),
                           schemes=SCHEMES, scheme=scheme, q=text or "",
                           categories=categories(), form=ConfirmForm())


@bp.route("/categories/review", methods=["GET", "POST"])
def review_queue():
    """Programs whose categories were guessed from their text with low confidence."""
    policy.require_admin(g.user)
    if request.method == "POST":
        require_valid_form()
        service_id = request.form.get("service_id", "")
        chosen = request.form.getlist("category")
        if request.form.get("action") == "accept":
            review.accept(g.user, service_id)
            flash("Suggestion accepted.")
        else:
            review.correct(g.user, service_id, chosen)
            flash("Categories corrected.")
        return redirect(url_for("categorize.review_queue"), 303)
    return render_template("categorize/review.html", items=review.pending(),
                           categories=categories(), form=ConfirmForm())
