"""Clients, screenings and matching. Every read and change of client data is audited.

Functions take the acting user and check the policy themselves, so no caller can forget.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from resdir.audit.operations import record, record_now
from resdir.auth import policy
from resdir.directory import indexing
from resdir.directory import models as dm
from resdir.directory.documents import LOAD_ALL
from resdir.errors import BadParameter, Conflict, NotFound
from resdir.extensions import db
from resdir.matching import eligibility, ranking
from resdir.matching.facts import ClientFacts, parse_facts
from resdir.matching.models import Client, ClientNeed, NeedCategory, Screening
from resdir.matching.needs import load_needs
from resdir.matching.poverty import percent_of_poverty
from resdir.matching.screening import parse_ahc, score_ahc
from resdir.search import SearchRequest

log = logging.getLogger(__name__)
MATCH_LOAD = (
    *LOAD_ALL,
    selectinload(dm.Service.eligibility),
    selectinload(dm.Service.service_areas),
    selectinload(dm.Service.phones),
)


# -- the need crosswalk ---------------------------------------------------------------


def ensure_crosswalk() -> None:
    """Seed the need -> category crosswalk from data/sdoh_needs.csv when it is empty."""
    if db.session.scalar(select(NeedCategory).limit(1)) is not None:
        return
    for need in load_needs().values():
        for category in need.categories:
            db.session.add(NeedCategory(need_code=need.code, category=category))
    db.session.flush()


def crosswalk() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {code: [] for code in load_needs()}
    for row in db.session.scalars(select(NeedCategory).order_by(NeedCategory.category)):
        out.setdefault(row.need_code, []).append(row.category)
    return out


def set_crosswalk(user, code: str, categories: list[str]) -> None:
    policy.require_admin(user)
    from resdir.directory.operations import category_slugs

    if code not in load_needs():
        raise NotFound(f"No need has the code {code!r}.")
    unknown = set(categories) - category_slugs()
    if unknown:
        raise BadParameter(f"Unknown category {sorted(unknown)[0]!r}.", "categories")
    db.session.execute(delete(NeedCategory).where(NeedCategory.need_code == code))
    db.session.add_all(NeedCategory(need_code=code, category=c) for c in sorted(set(categories)))
    record("need_category.update", "need", code, user=user)
    db.session.commit()


def need_codes(raw, field: str = "needs") -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
        raise BadParameter(f"{field} must be a list of need codes.", field)
    known = load_needs()
    for code in raw:
        if code not in known:
            raise BadParameter(f"{field}: {code[:60]!r} is not a Gravity SDOH category code.",
                               field)
    return list(dict.fromkeys(raw))


# -- clients ---------------------------------------------------------------------------


def _name(data: dict) -> str | None:
    name = data.get("name")
    if name is None:
        return None
    if not isinstance(name, str) or len(name.strip()) > 200:
        raise BadParameter("name must be text of at most 200 characters.", "name")
    return name.strip() or None


CLIENT_FIELDS = {"name", "needs", "version", "care_organization_id"}


def _split_body(data) -> tuple[dict, dict]:
    if not isinstance(data, dict):
        raise BadParameter("Send a JSON object.", "body")
    facts = {k: v for k, v in data.items() if k not in CLIENT_FIELDS}
    return facts, data


def create_client(user, data: dict) -> Client:
    policy.require_role(user, "coordinator", "admin")
    facts_raw, data = _split_body(data)
    facts = parse_facts(facts_raw, date.today())
    care_id = user.care_organization_id
    if user.role == "admin":
        care_id = data.get("care_organization_id")
        if not care_id:
            raise BadParameter("An admin must name care_organization_id.",
                               "care_organization_id")
    client = Client(care_organization_id=care_id, name=_name(data), facts=facts.as_dict(),
                    created_by=user.id)
    client.needs = [ClientNeed(code=c, source="selected") for c in need_codes(data.get("needs"))]
    db.session.add(client)
    db.session.flush()
    record("client.create", "client", client.id, user=user)
    db.session.commit()
    log.info("client %s created by user %s", client.id, user.id)
    return client


def get_client(user, client_id: str, *, audit: bool = True) -> Client:
    """The client, if the user's care organization holds it; NotFound otherwise."""
    policy.require_login(user)
    client = db.session.get(Client, client_id)
    if client is None or not policy.can_see_care_record(user, client.care_organization_id):
        raise NotFound("No such client.")
    if audit:
        record_now("client.read", "client", client.id, user=user)
    return client


def clients_of(user) -> list[Client]:
    policy.require_role(user, "coordinator", "admin")
    query = select(Client).order_by(Client.created_at.desc())
    if user.role != "admin":
        query = query.where(Client.care_organization_id == user.care_organization_id)
    found = list(db.session.scalars(query.limit(200)))
    record_now("client.list", "care_organization", user.care_organization_id, user=user)
    return found


def update_client(user, client: Client, data: dict) -> Client:
    """Change facts (and name, needs); `version` must be the one last read (else 409)."""
    facts_raw, data = _split_body(data)
    if "version" not in data:
        raise BadParameter("version is required: the version you last read.", "version")
    if data["version"] != client.version:
        raise Conflict(f"This client was changed by someone else (now version "
                       f"{client.version}). Reload and try again.")
    merged = {**client.facts, **facts_raw}
    merged = {k: v for k, v in merged.items() if v is not None}
    if "age" in facts_raw and "birth_date" not in facts_raw:
        merged.pop("birth_date", None)  # a new age replaces an older birth date
    client.facts = parse_facts(merged, date.today()).as_dict()
    if "name" in data:
        client.name = _name(data)
    if "needs" in data:
        _set_selected_needs(client, need_codes(data.get("needs")))
    record("client.update", "client", client.id, user=user)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict("This client was changed by someone else at the same moment. "
                       "Reload and try again.") from None
    return client


def _set_selected_needs(client: Client, selected: list[str]) -> None:
    """Selected needs become exactly `selected`; needs from a screening stay. Existing rows
    are kept (not deleted and re-inserted), so their codes stay unique."""
    current = {n.code: n for n in client.needs}
    for code, need in current.items():
        if need.source == "selected" and code not in selected:
            client.needs.remove(need)
        elif code in selected:
            need.source = "selected"
    client.needs.extend(ClientNeed(code=c, source="selected") for c in selected
                        if c not in current)


def client_json(client: Client) -> dict:
    return {
        "id": client.id,
        "name": client.name,
        "care_organization_id": client.care_organization_id,
        **client.facts,
        "needs": [{"code": n.code, "source": n.source} for n in client.needs],
        "screenings": [{"id": s.id, "screened_at": s.screened_at.isoformat(),
                        "screener_id": s.screener_id, "needs": s.result.get("needs", []),
                        "review": s.result.get("review", [])} for s in client.screenings],
        "version": client.version,
    }


def facts_of(client: Client) -> ClientFacts:
    return parse_facts(client.facts, date.today())


def record_screening(user, client: Client, answers) -> Screening:
    if not isinstance(answers, dict):
        raise BadParameter("screening answers must be a JSON object.", "screening")
    result = score_ahc(parse_ahc(answers))
    screening = Screening(client_id=client.id, screener_id=user.id, answers=answers,
                          result=result.as_dict())
    client.screenings.append(screening)
    have = {n.code for n in client.needs}
    client.needs.extend(ClientNeed(code=c, source="screening") for c in result.codes
                        if c not in have)
    db.session.flush()
    record("screening.create", "screening", screening.id, user=user)
    record("client.update", "client", client.id, user=user)
    db.session.commit()
    return screening


# -- matching --------------------------------------------------------------------------


def match(user, facts: ClientFacts, needs: list[tuple[str, str]], words: str = "",
          now: datetime | None = None) -> dict:
    """Programs for each need, eligible and likely first, ineligible apart, each with why."""
    now = now or datetime.now(UTC)
    today = now.date()
    cfg = current_app.config
    walk = crosswalk()
    known = load_needs()
    poverty = None
    if facts.annual_income is not None and facts.household_size:
        poverty = percent_of_poverty(facts.annual_income, facts.household_size, facts.state,
                                     today).as_dict()
    out = []
    for code, source in needs:
        categories = walk.get(code, [])
        entry = {"code": code, "display": known[code].display, "source": source,
                 "categories": categories, "results": [], "ineligible": []}
        if categories:
            entry["results"], entry["ineligible"] = _match_need(facts, categories, words, now,
                                                                cfg)
        out.append(entry)
    return {"needs": out, "poverty_guideline": poverty}


def _match_need(facts, categories, words, now, cfg):
    request = SearchRequest(
        text=words, categories=categories, point=facts.point,
        radius_mi=cfg["RESDIR_MATCH_RADIUS_MI"] if facts.point else None,
        sort="relevance" if words.strip() else ("distance" if facts.point else "relevance"),
        per_page=cfg["RESDIR_MATCH_CANDIDATES"],
    )
    found = indexing.search_index().search(request)
    hits = {h.id: h for h in found.hits}
    top = max((h.score for h in found.hits), default=0.0) or 1.0
    services = db.session.scalars(
        select(dm.Service).where(dm.Service.id.in_(list(hits))).options(*MATCH_LOAD)).all()
    tz_default = cfg["RESDIR_DEFAULT_TIMEZONE"]
    results, ineligible = [], []
    for service in services:
        hit = hits[service.id]
        verdict = eligibility.evaluate(service, facts, percent_of_poverty, now.date())
        tz = next((loc.timezone for loc in service.locations if loc.timezone), tz_default)
        ranked = ranking.rank(service, verdict, hit.distance_mi,
                              hit.score / top if words.strip() else None,
                              ranking.open_now(service, now, tz), now.date(),
                              cfg["RESDIR_STALE_AFTER_DAYS"])
        row = {
            "service_id": service.id,
            "name": service.name,
            "organization": service.organization.name,
            "distance_mi": hit.distance_mi,
            "eligibility": verdict.as_dict() | {"summary": verdict.summary},
            "capacity": service.capacity_status,
            "score": ranked.score,
            "why": ranked.why,
        }
        (ineligible if verdict.status == "ineligible" else results).append(row)
    results.sort(key=lambda r: (-r["score"], r["distance_mi"] or 0, r["name"]))
    ineligible.sort(key=lambda r: (r["distance_mi"] or 0, r["name"]))
    return results, ineligible
