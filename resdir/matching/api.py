"""Clients and matching through the JSON API (coordinator tokens)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, g, jsonify

from resdir.audit.operations import record_now
from resdir.auth import policy
from resdir.errors import BadParameter, json_body
from resdir.matching import matcher, operations
from resdir.matching.facts import FACT_FIELDS, parse_facts
from resdir.matching.screening import QUESTIONS, parse_ahc, score_ahc

bp = Blueprint("matching_api", __name__, url_prefix="/api/v1")
# A screening is sent as {"ahc_hrsn": {...}} or as the answers themselves.
SCREENING_KEYS = ("ahc_hrsn", *QUESTIONS)
CLIENT_KEYS = (*operations.CLIENT_FIELDS, *FACT_FIELDS)


@bp.post("/clients")
def create_client():
    """Create a client of the caller's care organization; 201 with its id."""
    client = operations.create_client(g.user, json_body(CLIENT_KEYS))
    return jsonify(operations.client_json(client)), 201


@bp.get("/clients/<client_id>")
def get_client(client_id: str):
    """One client (audited read)."""
    return jsonify(operations.client_json(operations.get_client(g.user, client_id)))


@bp.patch("/clients/<client_id>")
def patch_client(client_id: str):
    """Change a client's facts; send the `version` you read (409 if it changed)."""
    client = operations.get_client(g.user, client_id, audit=False)
    return jsonify(operations.client_json(operations.update_client(g.user, client,
                                                                    json_body(CLIENT_KEYS))))


@bp.post("/clients/<client_id>/screenings")
def screen_client(client_id: str):
    """Keep an AHC HRSN screening for the client; positive domains become needs."""
    client = operations.get_client(g.user, client_id, audit=False)
    body = json_body(SCREENING_KEYS)
    screening = operations.record_screening(g.user, client, body.get("ahc_hrsn", body))
    return jsonify({"id": screening.id, **screening.result}), 201


@bp.post("/match")
def match():
    """Programs for each need of a client, eligible first, with the rules and why."""
    policy.require_role(g.user, "coordinator", "admin")
    body = json_body({"client_id", "client", "needs", "screening", "words"})
    words = body.get("words") or ""
    if not isinstance(words, str):
        raise BadParameter("words must be text.", "words")
    screening = None
    if "client_id" in body:
        client = operations.get_client(g.user, str(body["client_id"]))
        facts = operations.facts_of(client)
        needs = [(n.code, n.source) for n in client.needs]
    else:
        raw = body.get("client", {})
        if not isinstance(raw, dict):
            raise BadParameter("client must be a JSON object of facts.", "client")
        facts = parse_facts(raw, date.today())
        needs = [(c, "selected") for c in operations.need_codes(body.get("needs"))]
        if "screening" in body:
            answers = body["screening"]
            if not isinstance(answers, dict) or not isinstance(answers.get("ahc_hrsn"), dict):
                raise BadParameter("screening must be {\"ahc_hrsn\": {...answers...}}.",
                                   "screening")
            screening = score_ahc(parse_ahc(answers["ahc_hrsn"]))
            have = {c for c, _ in needs}
            needs += [(c, "screening") for c in screening.codes if c not in have]
        record_now("match.run", None, None, user=g.user)
    if not needs:
        raise BadParameter("Give needs, a screening with a positive domain, or a client "
                           "with needs.", "needs")
    result = matcher.match(g.user, facts, needs, words)
    if screening is not None:
        result["screening"] = screening.as_dict()
    return jsonify(result)
