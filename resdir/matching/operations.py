"""Clients, screenings and matching. Every read and change of client data is audited.

Functions take the acting user and check the policy themselves, so no caller can forget.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from resdir.audit.operations import audited_read, record, record_now, save_new
from resdir.auth import policy
from resdir.auth.models import CareOrganization
from resdir.basics import new_id
from resdir.directory.operations import category_slugs
from resdir.errors import BadParameter, Conflict, NotFound
from resdir.extensions import db
from resdir.matching import contact as contacts
from resdir.matching.contact import CONTACT_FIELDS, parse_contact
from resdir.matching.facts import ClientFacts, parse_facts
from resdir.matching.models import Client, ClientNeed, NeedCategory, Screening
from resdir.matching.needs import load_needs
from resdir.matching.screening import parse_ahc, score_ahc
from resdir.shipped import first_offers

# -- the need crosswalk ---------------------------------------------------------------


def ensure_crosswalk() -> list[str]:
    """Add the need -> category links of data/sdoh_needs.csv this database has never been
    offered (all of them into an empty table; a release's new links into an older one; see
    resdir/shipped.py). Returns one line per link added, for init-db."""
    shipped = {f"{need.code}:{category}" for need in load_needs().values()
               for category in need.categories}
    have = {f"{r.need_code}:{r.category}" for r in db.session.scalars(select(NeedCategory))}
    added = sorted(first_offers("need-crosswalk", shipped) - have)
    for link in added:
        code, category = link.split(":", 1)
        db.session.add(NeedCategory(need_code=code, category=category))
    db.session.flush()
    if not have:
        return [f"{len(added)} need links from data/sdoh_needs.csv"]
    return [f"added need {link.replace(':', ' -> ', 1)}" for link in added]


def crosswalk() -> dict[str, list[str]]:
    """Need code -> its categories (read on every match: plain columns, no ORM objects)."""
    out: dict[str, list[str]] = {code: [] for code in load_needs()}
    rows = db.session.execute(select(NeedCategory.need_code, NeedCategory.category)
                              .order_by(NeedCategory.category))
    for code, category in rows:
        out.setdefault(code, []).append(category)
    return out


def set_crosswalk(user, code: str, categories: list[str]) -> None:
    policy.require_admin(user)
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


CLIENT_FIELDS = {"name", "needs", "version", "care_organization_id", *CONTACT_FIELDS}


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
    if policy.chooses_care_organization(user):
        care_id = data.get("care_organization_id")
        if not care_id:
            raise BadParameter("An admin must name care_organization_id.",
                               "care_organization_id")
        # Checked here, not left to the foreign key: a failed INSERT would carry the
        # client's name and birth date in its error (issue 9, item 7).
        if not isinstance(care_id, str) or db.session.get(CareOrganization, care_id) is None:
            raise BadParameter("care_organization_id: no care organization has this id.",
                               "care_organization_id")
    client = Client(care_organization_id=care_id, name=_name(data), facts=facts.as_dict(),
                    contact=parse_contact(data) or None, created_by=user.id)
    client.needs = [ClientNeed(code=c, source="selected") for c in need_codes(data.get("needs"))]
    save_new(client, "client", user=user)
    return client


def get_client(user, client_id: str, *, audit: bool = True) -> Client:
    """The client, if the user's care organization holds it; NotFound otherwise."""
    policy.require_login(user)
    return audited_read("client", db.session.get(Client, client_id), policy.can_see_client,
                        user=user, missing="No such client.", audit=audit)


def clients_of(user) -> list[Client]:
    policy.require_role(user, "coordinator", "admin")
    query = select(Client).order_by(Client.created_at.desc())
    if not policy.lists_every_organization(user):
        query = query.where(Client.care_organization_id == user.care_organization_id)
    found = list(db.session.scalars(query.limit(200)))
    record_now("client.list", "care_organization", user.care_organization_id, user=user)
    return found


def update_client(user, client: Client, data: dict) -> Client:
    """Change facts (and name, needs); `version` must be the one last read (else 409)."""
    facts_raw, data = _split_body(data)
    if "version" not in data:
        raise BadParameter("version is required: the version you last read.", "version")
    if data["version"] != client.version or isinstance(data["version"], bool):
        raise _stale(client)
    merged = {**client.facts, **facts_raw}
    merged = {k: v for k, v in merged.items() if v is not None}
    if "age" in facts_raw and "birth_date" not in facts_raw:
        merged.pop("birth_date", None)  # a new age replaces an older birth date
    client.facts = parse_facts(merged, date.today()).as_dict()
    if "name" in data:
        client.name = _name(data)
    if any(k in data for k in CONTACT_FIELDS):
        client.contact = contacts.merged(client.contact, data) or None
    if "needs" in data:
        _set_selected_needs(client, need_codes(data.get("needs")))
    record("client.update", "client", client.id, user=user)
    _commit_client(client)
    return client


def _stale(client: Client) -> Conflict:
    return Conflict(f"Someone else saved this client while you were editing (it is now "
                    f"version {client.version}). Check the current record and save again.",
                    version=client.version)


def _commit_client(client: Client) -> None:
    """Commit. The client row's UPDATE checks and bumps its version in the same statement
    (resdir.versioning: also when only needs or screenings changed), so of two writers that
    read the same version the second gets 409 instead of saving over the first."""
    try:
        db.session.commit()
    except (StaleDataError, IntegrityError):  # IntegrityError: the same need added twice
        db.session.rollback()
        raise _stale(client) from None


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
        **(client.contact or {}),
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
    screening = Screening(id=new_id(), client_id=client.id, screener_id=user.id,
                          answers=answers, result=result.as_dict())
    client.screenings.append(screening)
    have = {n.code for n in client.needs}
    client.needs.extend(ClientNeed(code=c, source="screening") for c in result.codes
                        if c not in have)
    record("screening.create", "screening", screening.id, user=user)
    record("client.update", "client", client.id, user=user)
    _commit_client(client)
    return screening
