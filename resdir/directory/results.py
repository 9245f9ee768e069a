"""Search results as the page and the API show them, read with plain column queries.

A result needs a program's name, organization, categories, first phone, status, capacity,
verification date, description (for the snippet) and its locations with their addresses:
nothing else. Reading 20 programs through the ORM with every relationship loaded took 8.8
statements and 17 ms at 100,000 programs (issue 12); three plain column queries build no
ORM objects. Phones, locations and categories come in the order the database gives (no
ORDER BY), as the ORM's selectin loads read them.

Not ProgramFacts (facts.py), on purpose: a result row needs the organization's id, the first
phone and full address lines, which ProgramFacts leaves out as display-only, and none of
the rules (schedules, languages, eligibility, service areas) that indexing and matching
read. One shape for both would carry display columns into indexing and matching, or make
the API read columns it never shows.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import bindparam, select

from resdir.directory import models as m
from resdir.directory.models.listings import one_line
from resdir.extensions import db


class ResultAddress(NamedTuple):
    address_1: str
    address_2: str | None
    city: str
    state_province: str
    postal_code: str

    def one_line(self) -> str:
        return one_line(*self)


class ResultLocation(NamedTuple):
    id: str
    latitude: float | None
    longitude: float | None
    confidential: bool
    address: ResultAddress | None  # the physical address (else the first)


class ResultOrganization(NamedTuple):
    id: str
    name: str


class ResultCategory(NamedTuple):
    code: str | None
    name: str


class ResultProgram(NamedTuple):
    """One program as a search result shows it."""

    id: str
    name: str
    description: str | None
    status: str
    capacity_status: str | None
    assured_date: date | None
    organization: ResultOrganization
    categories: tuple[ResultCategory, ...]
    phone: str | None  # the first phone's number
    locations: tuple[ResultLocation, ...]


def _statements() -> dict:
    """The statements, built once: building a select costs more than running it here
    (the compiled form is cached by SQLAlchemy either way)."""
    ids = bindparam("ids", expanding=True)
    s, o, a, t = m.Service, m.Organization, m.Address, m.TaxonomyTerm
    sal, loc, at = m.ServiceAtLocation, m.Location, m.Attribute
    phone = (select(m.Phone.number).where(m.Phone.service_id == s.id)
             .order_by(*m.PHONE_ORDER).limit(1)
             .correlate(s).scalar_subquery())
    return {
        # One row per program and location (and address): a program has one location in
        # most directories, so repeating its columns for a second one costs less than a
        # second statement.
        "programs": select(s.id, s.name, s.description, s.status, s.capacity_status,
                           s.assured_date, o.id, o.name, phone, loc.id, loc.latitude,
                           loc.longitude, loc.confidential, a.address_type, a.address_1,
                           a.address_2, a.city, a.state_province, a.postal_code)
        .join(o, o.id == s.organization_id)
        .outerjoin(sal, sal.service_id == s.id).outerjoin(loc, loc.id == sal.location_id)
        .outerjoin(a, a.location_id == loc.id).where(s.id.in_(ids)),
        # Two statements, not a join: with the join SQLite drove from the category terms'
        # side (every attribute of every category, 20-60 ms at 10,000 programs, issue 12).
        "attributes": select(at.link_id, at.taxonomy_term_id)
        .where(at.link_entity == "service", at.link_id.in_(ids)),
        "categories": select(t.id, t.code, t.name)
        .where(t.id.in_(ids), t.taxonomy_id == m.CATEGORY_TAXONOMY_ID),
    }


_STATEMENTS: dict = {}


def _run(name: str, ids) -> list:
    if not _STATEMENTS:
        _STATEMENTS.update(_statements())
    return db.session.connection().execute(_STATEMENTS[name], {"ids": list(ids)}).all()


def programs_by_ids(ids: list[str]) -> list[ResultProgram]:
    """The programs with these ids, in the order given (missing ones left out)."""
    if not ids:
        return []
    rows = _run("programs", ids)
    links = _run("attributes", ids)
    terms = {term_id: ResultCategory(code, name) for term_id, code, name in
             _run("categories", sorted({term_id for _, term_id in links}))} if links else {}
    categories: dict[str, list[ResultCategory]] = {}
    for link_id, term_id in links:
        if term_id in terms:
            categories.setdefault(link_id, []).append(terms[term_id])
    locations = _locations(rows)
    out = {}
    for (sid, name, description, status, capacity, assured, org_id, org_name, phone,
         *_) in rows:
        if sid not in out:
            out[sid] = ResultProgram(
                id=sid, name=name, description=description, status=status,
                capacity_status=capacity, assured_date=assured,
                organization=ResultOrganization(org_id, org_name),
                categories=tuple(categories.get(sid, ())), phone=phone,
                locations=tuple(locations.get(sid, ())),
            )
    return [out[i] for i in ids if i in out]


def _locations(rows: list) -> dict[str, list[ResultLocation]]:
    """Each program's locations, each with its physical address (else its first)."""
    places: dict[tuple[str, str], tuple] = {}
    addresses: dict[tuple[str, str], tuple[str | None, ResultAddress | None]] = {}
    for row in rows:
        service_id, (location_id, lat, lon, confidential, kind, *fields) = row[0], row[9:]
        if location_id is None:
            continue
        key = (service_id, location_id)
        places.setdefault(key, (lat, lon, bool(confidential)))
        address = ResultAddress(*fields) if fields[0] is not None else None
        found = addresses.get(key)
        if found is None or (found[0] != "physical" and kind == "physical"):
            addresses[key] = (kind, address)
    out: dict[str, list[ResultLocation]] = {}
    for (service_id, location_id), (lat, lon, confidential) in places.items():
        out.setdefault(service_id, []).append(ResultLocation(
            location_id, lat, lon, confidential, addresses[service_id, location_id][1]))
    return out
