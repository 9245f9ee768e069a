"""Reading ProgramFacts: plain column queries, a batch of programs at a time.

The one place that knows which rows make up a program's facts. `load_facts` serves a
request (a match, a page of search results); `stream_facts` a rebuild (100,000 programs in
batches, so memory stays flat). Both run the same queries: seven per batch, each on an
indexed column, and no ORM objects (loading 100,000 programs through the ORM with every
relationship built ~1.3 million objects and took most of a rebuild). The statements are
built once: building a select costs more than running it for a match's 150 programs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import lru_cache

from sqlalchemy import bindparam, select

from resdir.directory import models as m
from resdir.directory.facts import (
    AreaFacts,
    CategoryFacts,
    PlaceFacts,
    ProgramFacts,
    RulesFacts,
    ScheduleFacts,
)
from resdir.directory.models.listings import one_line
from resdir.extensions import db

BATCH = 1000


def _statements() -> dict:
    ids = bindparam("ids", expanding=True)
    s, o, e, d, lang, a, sal, loc, adr, t, term, tax, ph = (model.__table__.c for model in (
        m.Service, m.Organization, m.Eligibility, m.Schedule, m.Language, m.ServiceArea,
        m.ServiceAtLocation, m.Location, m.Address, m.Attribute, m.TaxonomyTerm, m.Taxonomy,
        m.Phone))
    # The first phone, as the program's page lists them.
    phone = (select(ph.number).where(ph.service_id == s.id)
             .order_by(ph.position, ph.id).limit(1)
             .correlate(m.Service.__table__).scalar_subquery())
    return {
        "programs": select(
            s.id, s.name, s.organization_id, o.name.label("organization_name"),
            s.alternate_name, s.description,
            s.eligibility_description, s.status, s.capacity_status, s.capacity_available,
            s.capacity_maximum, s.minimum_age, s.maximum_age, s.assured_date,
            phone.label("phone"),
            e.service_id.label("has_rules"), e.income_limit_fpl, e.household_size_min,
            e.household_size_max, e.veteran_required, e.insurance, e.gender,
            e.pregnancy_required, e.disability_required, e.languages, e.residency_required)
        .outerjoin(m.Organization.__table__, o.id == s.organization_id)
        .outerjoin(m.Eligibility.__table__, e.service_id == s.id)
        .where(s.id.in_(ids)),
        # A row per address: the first of each link is its location with the address
        # models.Location.address picks (the first physical one, else the first).
        "places": select(sal.service_id, sal.id.label("link"), loc.latitude, loc.longitude,
                         loc.timezone, loc.confidential, adr.postal_code, adr.address_1,
                         adr.address_2, adr.city, adr.state_province)
        .join(m.Location.__table__, loc.id == sal.location_id)
        .outerjoin(m.Address.__table__, adr.location_id == loc.id)
        .where(sal.service_id.in_(ids))
        .order_by(sal.service_id, sal.id, adr.address_type != "physical", adr.id),
        "schedules": select(d.service_id, d.byday, d.opens_at, d.closes_at, d.closed,
                            d.valid_from, d.valid_to).where(d.service_id.in_(ids))
        # Spans saved without positions (all 0) in the order of the day: "9 AM - noon,
        # noon - 5 PM", the same on either database.
        .order_by(d.service_id, d.position, d.opens_at, d.valid_from, d.id),
        "languages": select(lang.service_id, lang.code).where(lang.service_id.in_(ids))
        .order_by(lang.service_id, lang.code),
        "areas": select(a.service_id, a.kind, a.name, a.extent, a.radius_mi,
                        a.center_latitude, a.center_longitude)
        .where(a.service_id.in_(ids)).order_by(a.service_id, a.id),
        # No join to taxonomy_term: SQLite would drive it from the terms and read every
        # attribute of every category.
        "links": select(t.link_id, t.taxonomy_term_id)
        .where(t.link_entity == "service", t.link_id.in_(ids)).order_by(t.link_id, t.id),
        "terms": select(term.id, term.code, term.name, term.taxonomy_id,
                        tax.name.label("taxonomy"))
        .outerjoin(m.Taxonomy.__table__, tax.id == term.taxonomy_id).where(term.id.in_(ids)),
    }


_STATEMENTS: dict = {}


def _run(name: str, ids) -> list:
    if not _STATEMENTS:
        _STATEMENTS.update(_statements())
    return db.session.connection().execute(_STATEMENTS[name], {"ids": list(ids)}).all()


class Terms:
    """Taxonomy terms by id, read as programs need them and kept for the next batch: a
    resdir category (a CategoryFacts), a source's term (its name: searchable words the
    source gave the program), or neither (resdir's own other taxonomies, named "resdir...",
    are not words people search)."""

    def __init__(self) -> None:
        self.categories: dict[str, CategoryFacts] = {}
        self.source: dict[str, str] = {}
        self.seen: set[str] = set()

    def read(self, ids: set[str]) -> None:
        wanted = list(ids - self.seen)
        for start in range(0, len(wanted), BATCH):
            for r in _run("terms", wanted[start : start + BATCH]):
                if r.taxonomy_id == m.CATEGORY_TAXONOMY_ID:
                    self.categories[r.id] = CategoryFacts(r.code, r.name)
                elif r.taxonomy is not None and not r.taxonomy.startswith("resdir"):
                    self.source[r.id] = r.name
        self.seen.update(wanted)


def load_facts(ids: Iterable[str], words: bool = True) -> dict[str, ProgramFacts]:
    """The facts of these programs by id (ids not in the database are left out).
    words=False: without their languages, categories and source terms (left empty), which
    judging eligibility never reads: three of the seven statements (matching, issue 12)."""
    wanted = sorted(set(ids))
    out: dict[str, ProgramFacts] = {}
    terms = Terms()
    for start in range(0, len(wanted), BATCH):
        out.update((f.id, f) for f in _batch(wanted[start : start + BATCH], terms, words))
    return out


def stream_facts(ids: list[str] | None = None, batch: int = BATCH) -> Iterator[ProgramFacts]:
    """The facts of these programs (every program when None), in the order of `ids` (of
    their ids when None), `batch` programs per round of queries."""
    if ids is None:
        ids = list(db.session.scalars(select(m.Service.id).order_by(m.Service.id)))
    terms = Terms()
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        found = {f.id: f for f in _batch(chunk, terms)}
        yield from (found[i] for i in chunk if i in found)


def _batch(chunk: list[str], terms: Terms, words: bool = True) -> list[ProgramFacts]:
    rows = _run("programs", chunk)
    if not rows:
        return []
    places: dict[str, list[PlaceFacts]] = defaultdict(list)
    link = None
    for r in _run("places", chunk):
        if r.link != link:
            link = r.link
            address = None if r.address_1 is None else one_line(
                r.address_1, r.address_2, r.city, r.state_province, r.postal_code)
            places[r.service_id].append(PlaceFacts(r.latitude, r.longitude, r.timezone,
                                                   bool(r.confidential), r.postal_code,
                                                   address))
    schedules: dict[str, list[ScheduleFacts]] = defaultdict(list)
    for service_id, *span in _run("schedules", chunk):
        schedules[service_id].append(_schedule(*span))
    languages: dict[str, list[str]] = defaultdict(list)
    for service_id, code in _run("languages", chunk) if words else ():
        if code:
            languages[service_id].append(code)
    areas: dict[str, list[AreaFacts]] = defaultdict(list)
    for r in _run("areas", chunk):
        areas[r.service_id].append(AreaFacts(r.kind, r.name, r.extent, r.radius_mi,
                                             r.center_latitude, r.center_longitude))
    categories, source_terms = _terms(chunk, terms) if words else ({}, {})
    return [
        ProgramFacts(
            id=r.id, name=r.name, organization_id=r.organization_id,
            organization_name=r.organization_name,
            alternate_name=r.alternate_name, description=r.description,
            eligibility_description=r.eligibility_description, status=r.status,
            capacity_status=r.capacity_status, capacity_available=r.capacity_available,
            capacity_maximum=r.capacity_maximum, minimum_age=r.minimum_age,
            maximum_age=r.maximum_age, assured_date=r.assured_date, phone=r.phone,
            locations=tuple(places.get(r.id, ())), schedules=tuple(schedules.get(r.id, ())),
            languages=tuple(languages.get(r.id, ())),
            categories=tuple(categories.get(r.id, ())),
            source_terms=tuple(source_terms.get(r.id, ())),
            eligibility=None if r.has_rules is None else RulesFacts(
                r.income_limit_fpl, r.household_size_min, r.household_size_max,
                bool(r.veteran_required), r.insurance, r.gender, bool(r.pregnancy_required),
                bool(r.disability_required), r.languages, bool(r.residency_required)),
            service_areas=tuple(areas.get(r.id, ())),
        )
        for r in rows
    ]


@lru_cache(maxsize=4096)
def _schedule(byday, opens_at, closes_at, closed, valid_from, valid_to) -> ScheduleFacts:
    """One shared ScheduleFacts per distinct span: programs repeat a few hundred opening
    patterns, and building a frozen dataclass costs more than looking one up."""
    return ScheduleFacts(byday, opens_at, closes_at, bool(closed), valid_from, valid_to)


def _terms(chunk: list[str], terms: Terms):
    """(categories, source term names) of each program, in the order they were given."""
    links = _run("links", chunk)
    terms.read({term_id for _, term_id in links})
    categories: dict[str, list[CategoryFacts]] = defaultdict(list)
    source: dict[str, list[str]] = defaultdict(list)
    for service_id, term_id in links:
        if term_id in terms.categories:
            categories[service_id].append(terms.categories[term_id])
        elif term_id in terms.source:
            source[service_id].append(terms.source[term_id])
    return categories, source
