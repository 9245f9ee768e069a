"""From directory rows to search documents (what the index may know about a program)."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import fields
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from resdir.directory import hours
from resdir.directory.models import (
    CATEGORY_TAXONOMY_ID,
    Address,
    Attribute,
    Language,
    Location,
    Organization,
    Schedule,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from resdir.extensions import db
from resdir.geo import UnknownZip, lookup_zip
from resdir.search import Document

LOAD_ALL = (
    selectinload(Service.organization),
    selectinload(Service.service_at_locations)
    .selectinload(ServiceAtLocation.location)
    .selectinload(Location.addresses),
    selectinload(Service.schedules),
    selectinload(Service.languages),
    selectinload(Service.attributes),
)


def spans_of(service: Service) -> list[hours.Span]:
    return [
        hours.Span(hours.HSDS_DAYS.index(s.byday), s.opens_at, s.closes_at)
        for s in service.schedules
        if not s.closed and s.byday in hours.HSDS_DAYS and s.opens_at and s.closes_at
    ]


def index_point(location: Location) -> tuple[float, float] | None:
    """Where a location is searched from. A confidential location is placed at its ZIP's
    centre, so distances never reveal the real address."""
    if location.confidential:
        address = location.address
        try:
            place = lookup_zip(address.postal_code) if address else None
        except UnknownZip:
            place = None
        return (place.latitude, place.longitude) if place else None
    if location.latitude is None or location.longitude is None:
        return None
    return (location.latitude, location.longitude)


def document_for(service: Service, default_tz: str) -> Document:
    """The document of a program: an ORM Service, or a stand-in with the same attributes
    (what :func:`documents` reads with plain queries)."""
    locations = service.locations
    points = [p for p in (index_point(loc) for loc in locations) if p]
    tz = next((loc.timezone for loc in locations if loc.timezone), None) or default_tz
    spans = spans_of(service)
    has_hours = bool(service.schedules) and any(not s.closed for s in service.schedules)
    categories = service.categories
    doc = Document(
        id=service.id,
        stamp="",
        name=service.name,
        organization=service.organization.name if service.organization else "",
        text=" ".join(
            filter(None, [service.alternate_name, service.description,
                          service.eligibility_description])
        ),
        categories=sorted(c.code for c in categories if c.code),
        category_names=sorted(c.name for c in categories),
        terms=sorted(set(getattr(service, "source_terms", ()))),
        languages=sorted({lang.code for lang in service.languages if lang.code}),
        status=service.status,
        capacity=service.capacity_status,
        minimum_age=service.minimum_age,
        maximum_age=service.maximum_age,
        points=points,
        timezone=tz,
        open_minutes=[m for s in spans for m in s.minutes()] if has_hours else None,
        closures=[
            (s.valid_from.isoformat(), (s.valid_to or s.valid_from).isoformat())
            for s in service.schedules
            if s.closed and s.valid_from
        ],
        verified=service.assured_date.isoformat() if service.assured_date else None,
    )
    doc.stamp = stamp_of(doc)
    return doc


def stamp_of(doc: Document) -> str:
    """A digest of everything indexed: it changes exactly when the document does."""
    # The same JSON as json.dumps(asdict(doc)) (Document holds no nested dataclasses),
    # without asdict's deep copy.
    payload = {f.name: getattr(doc, f.name) for f in fields(doc) if f.name != "stamp"}
    return hashlib.sha1(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def documents(ids: list[str] | None, default_tz: str, batch: int = 1000):
    """Yield documents for the given service ids (all services when None), in batches.

    Rows are read with plain column queries (no ORM objects: loading 100,000 programs
    through the ORM took most of a rebuild) into stand-ins that :func:`document_for`
    reads like Service objects.
    """
    if ids is None:
        ids = list(db.session.scalars(select(Service.id).order_by(Service.id)))
    orgs: dict[str, str] = {}
    terms = _category_terms()
    source = _source_terms()
    for start in range(0, len(ids), batch):
        for service in _stand_ins(ids[start : start + batch], orgs, terms, source):
            yield document_for(service, default_tz)


def _category_terms() -> dict[str, SimpleNamespace]:
    """resdir's category terms by id, as stand-ins with a code and a name."""
    return {
        r.id: SimpleNamespace(code=r.code, name=r.name)
        for r in db.session.execute(
            select(TaxonomyTerm.id, TaxonomyTerm.code, TaxonomyTerm.name)
            .where(TaxonomyTerm.taxonomy_id == CATEGORY_TAXONOMY_ID)
        )
    }


def _source_terms() -> dict[str, str]:
    """Names of the terms of imported taxonomies (AIRS, Open Eligibility, Ohana keywords)
    by id: searchable words the source gave each program. resdir's own taxonomies (its
    categories and HSDS extensions, named "resdir...") are not words people search."""
    return dict(db.session.execute(
        select(TaxonomyTerm.id, TaxonomyTerm.name)
        .join(Taxonomy, Taxonomy.id == TaxonomyTerm.taxonomy_id)
        .where(~Taxonomy.name.startswith("resdir"))
    ).all())


def _stand_ins(
    chunk: list[str], orgs: dict[str, str], terms: dict[str, SimpleNamespace],
    source: dict[str, str] | None = None,
) -> list[SimpleNamespace]:
    """Light objects with the attributes of Service that document_for reads, in the
    order of `chunk` (missing ids left out). `orgs` caches organization names; `terms`
    is what _category_terms() returns, `source` what _source_terms() returns."""
    source = source or {}
    ns, session = SimpleNamespace, db.session
    rows = session.execute(
        select(Service.id, Service.organization_id, Service.name, Service.alternate_name,
               Service.description, Service.eligibility_description, Service.status,
               Service.capacity_status, Service.minimum_age, Service.maximum_age,
               Service.assured_date)
        .where(Service.id.in_(chunk))
    ).all()
    wanted = {r.organization_id for r in rows} - orgs.keys()
    if wanted:
        orgs.update(session.execute(
            select(Organization.id, Organization.name).where(Organization.id.in_(wanted))
        ).all())

    locations = defaultdict(list)
    secret: dict[str, list] = {}
    for r in session.execute(
        select(ServiceAtLocation.service_id, Location.id, Location.latitude, Location.longitude,
               Location.timezone, Location.confidential)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .where(ServiceAtLocation.service_id.in_(chunk))
        .order_by(ServiceAtLocation.service_id, ServiceAtLocation.id)
    ):
        loc = ns(latitude=r.latitude, longitude=r.longitude, timezone=r.timezone,
                 confidential=r.confidential, address=None)
        locations[r.service_id].append(loc)
        if r.confidential:
            secret.setdefault(r.id, []).append(loc)
    if secret:
        # Location.address: the first physical address, else the first one.
        for r in session.execute(
            select(Address.location_id, Address.postal_code)
            .where(Address.location_id.in_(secret))
            .order_by(Address.location_id, Address.address_type != "physical", Address.id)
        ):
            for loc in secret[r.location_id]:
                if loc.address is None:
                    loc.address = ns(postal_code=r.postal_code)

    schedules = defaultdict(list)
    for r in session.execute(
        select(Schedule.service_id, Schedule.byday, Schedule.opens_at, Schedule.closes_at,
               Schedule.closed, Schedule.valid_from, Schedule.valid_to)
        .where(Schedule.service_id.in_(chunk))
        .order_by(Schedule.service_id, Schedule.position, Schedule.id)
    ):
        schedules[r.service_id].append(r)
    languages = defaultdict(list)
    for service_id, code in session.execute(
        select(Language.service_id, Language.code).where(Language.service_id.in_(chunk))
    ):
        languages[service_id].append(ns(code=code))
    categories = defaultdict(list)
    source_terms = defaultdict(list)
    # No join to taxonomy_term: SQLite would drive it from the terms and read every
    # attribute of every category.
    for service_id, term_id in session.execute(
        select(Attribute.link_id, Attribute.taxonomy_term_id)
        .where(Attribute.link_entity == "service", Attribute.link_id.in_(chunk))
        .order_by(Attribute.link_id, Attribute.id)
    ):
        if term_id in terms:
            categories[service_id].append(terms[term_id])
        elif term_id in source:
            source_terms[service_id].append(source[term_id])

    found = {}
    for r in rows:
        org = orgs.get(r.organization_id)
        found[r.id] = ns(
            id=r.id, name=r.name, alternate_name=r.alternate_name, description=r.description,
            eligibility_description=r.eligibility_description, status=r.status,
            capacity_status=r.capacity_status, minimum_age=r.minimum_age,
            maximum_age=r.maximum_age, assured_date=r.assured_date,
            organization=ns(name=org) if org is not None else None,
            locations=locations[r.id], schedules=schedules[r.id], languages=languages[r.id],
            categories=categories[r.id], source_terms=source_terms[r.id],
        )
    return [found[i] for i in chunk if i in found]
