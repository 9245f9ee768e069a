"""Coordinators' pages: clients, screening, and "Find help for a client"."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from resdir.auth import policy
from resdir.auth.forms import ConfirmForm, require_valid_form
from resdir.directory.cards import cards_for
from resdir.directory.operations import categories
from resdir.errors import BadParameter, Conflict
from resdir.extensions import db
from resdir.languages import language_code
from resdir.matching import client_form, matcher, operations
from resdir.matching.client_form import FACT_FLAGS, FACT_INPUTS
from resdir.matching.contact import CONTACT_FIELDS, METHODS
from resdir.matching.needs import load_needs
from resdir.matching.screening import DOMAIN_NAMES

bp = Blueprint("matching", __name__)

SCREEN_CHOICES = ("living_situation", "food_worry", "food_didnt_last", "utilities")
# Ticked on the client form; any other language is written by name in the box beside them.
COMMON_LANGUAGES = ("en", "es", "ar", "zh", "fr", "ne", "ru", "so", "sw", "uk", "vi")


def _facts_from_form(form) -> dict:
    """Form text -> API-shaped facts (numbers as numbers, yes/no/unknown as bool/None)."""
    data: dict = {}
    for name in FACT_INPUTS:
        text = (form.get(name) or "").strip()
        if not text or name == "languages":  # languages: ticked boxes and names, below
            continue
        if name in ("age", "household_size"):
            data[name] = _number(text, name, int)
        elif name == "annual_income":
            data[name] = _number(text.replace(",", "").replace("$", ""), name, float)
        else:
            data[name] = text
    spoken = _languages(form)
    if spoken:
        data["languages"] = spoken
    for name in FACT_FLAGS:
        value = form.get(name, "")
        if value in ("yes", "no"):
            data[name] = value == "yes"
    return data


def _contact_from_form(form) -> dict:
    """The contact fields as the API names them; an unticked "agrees to e-mail" is None
    (not known), so that a save without a change stays without a change."""
    data = {k: (form.get(k) or "").strip() or None for k in CONTACT_FIELDS if k != "email_ok"}
    data["email_ok"] = True if form.get("email_ok") == "yes" else None
    return data


def _languages(form) -> list[str]:
    """Ticked languages plus the "other" box, where people write names ("Spanish, Nepali")
    or codes; the API keeps ISO 639-1 codes."""
    codes = [c for c in form.getlist("languages") if c]
    for word in (form.get("languages_other") or "").replace(";", ",").split(","):
        if not word.strip():
            continue
        code = language_code(word)
        if code is None:
            raise BadParameter(f"We don't know the language {word.strip()[:40]!r}. Write its "
                               "English name, for example Nepali or Haitian Creole.",
                               "languages")
        codes.append(code)
    return list(dict.fromkeys(codes))


def _number(text: str, name: str, kind):
    try:
        return kind(text)
    except ValueError:
        raise BadParameter(f"{name.replace('_', ' ')} must be a number.", name) from None


@bp.before_request
def coordinators_only():
    if request.endpoint != "matching.needs":
        policy.require_role(g.user, "coordinator", "admin")
    else:
        policy.require_login(g.user)


@bp.get("/clients")
def clients():
    """The care organization's clients."""
    return render_template("matching/clients.html", clients=operations.clients_of(g.user),
                           needs=load_needs())


@bp.route("/clients/new", methods=["GET", "POST"])
def new_client():
    """Record a client's facts and needs (every fact optional)."""
    form = ConfirmForm()
    error = None
    if request.method == "POST":
        require_valid_form()
        data = {"name": request.form.get("name", ""), "needs": request.form.getlist("need")}
        try:
            data.update(_facts_from_form(request.form))
            data.update(_contact_from_form(request.form))
            if policy.chooses_care_organization(g.user):
                data["care_organization_id"] = request.form.get("care_organization_id")
            client = operations.create_client(g.user, data)
        except BadParameter as exc:
            error = exc
        else:
            return redirect(url_for("matching.client", client_id=client.id), 303)
    return render_template("matching/client_form.html", form=form, error=error,
                           common_languages=COMMON_LANGUAGES, methods=METHODS,
                           values=request.form, needs=load_needs()), 400 if error else 200


def _cards(result) -> dict:
    """Open now, today's hours, languages and capacity counts of every program shown."""
    if result is None:
        return {}
    ids = {r["service_id"] for need in result["needs"] for r in need["results"]}
    return cards_for(sorted(ids))


@bp.get("/clients/<client_id>")
def client(client_id: str):
    """The client, and programs for each need: eligible and likely first, then not."""
    found = operations.get_client(g.user, client_id)
    words = (request.args.get("words") or "")[:200]
    needs = [(n.code, n.source) for n in found.needs]
    result = matcher.match(g.user, operations.facts_of(found), needs, words) if needs \
        else None
    return render_template("matching/client.html", client=found, result=result, words=words,
                           common_languages=COMMON_LANGUAGES, cards=_cards(result),
                           methods=METHODS,
                           form=ConfirmForm(), needs=load_needs(), domains=DOMAIN_NAMES), 200


@bp.post("/clients/<client_id>")
def update_client(client_id: str):
    """Save the facts and needs the user changed (resdir.matching.client_form). A stale
    version is 409 and bad input 400, both on the page with the user's input kept."""
    found = operations.get_client(g.user, client_id, audit=False)
    require_valid_form()
    mine: dict = {}
    try:
        sent = {"name": (request.form.get("name") or "").strip() or None,
                "needs": request.form.getlist("need")}
        sent.update(_contact_from_form(request.form))
        try:
            sent.update(_facts_from_form(request.form))
        except BadParameter:
            mine = {k: request.form.get(k) for k in ("name", *FACT_INPUTS, *FACT_FLAGS,
                                                     *CONTACT_FIELDS)}
            mine["needs"] = request.form.getlist("need")
            raise
        seen = {k: request.form.get("seen_" + k) for k in client_form.FIELDS}
        mine = client_form.changes(found, sent, seen)
        version = _number(request.form.get("version", ""), "version", int)
        operations.update_client(g.user, found, {**mine, "version": version})
    except (BadParameter, Conflict) as exc:
        db.session.rollback()
        client_form.keep_after_error(found, mine, exc)
        page, _ = client(client_id)
        return page, exc.status
    flash("Client saved.")
    return redirect(url_for("matching.client", client_id=client_id), 303)


@bp.route("/clients/<client_id>/screening", methods=["GET", "POST"])
def screening(client_id: str):
    """The CMS AHC HRSN core questions; positive domains become the client's needs."""
    found = operations.get_client(g.user, client_id)
    form = ConfirmForm()
    error = None
    if request.method == "POST":
        require_valid_form()
        answers: dict = {k: request.form[k] for k in SCREEN_CHOICES if request.form.get(k)}
        if "housing_problems" in request.form or request.form.get("housing_none"):
            answers["housing_problems"] = request.form.getlist("housing_problems")
        if request.form.get("transportation") in ("yes", "no"):
            answers["transportation"] = request.form["transportation"] == "yes"
        safety = {k: request.form.get(f"safety_{k}") for k in
                  ("hurt", "insult", "threaten", "scream")}
        if all(safety.values()):
            answers["safety"] = {k: _number(v, f"safety_{k}", int) for k, v in safety.items()}
        try:
            operations.record_screening(g.user, found, answers)
        except BadParameter as exc:
            error = exc
        else:
            return redirect(url_for("matching.client", client_id=client_id), 303)
    return render_template("matching/screening.html", client=found, form=form, error=error), (
        400 if error else 200)


@bp.route("/needs", methods=["GET", "POST"])
def needs():
    """The crosswalk from need codes to categories; admins may change it."""
    if request.method == "POST":
        require_valid_form()
        code = request.form.get("code", "")
        if code not in load_needs():
            abort(404)
        operations.set_crosswalk(g.user, code, request.form.getlist("category"))
        flash(f"Categories for {load_needs()[code].display} saved.")
        return redirect(url_for("matching.needs"), 303)
    return render_template("matching/needs.html", needs=load_needs(),
                           walk=operations.crosswalk(), categories=categories(),
                           form=ConfirmForm())
