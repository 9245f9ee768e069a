"""From directory rows to search documents (what the index may know about a program)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields

from sqlalchemy.orm import selectinload

from resdir.directory import hours
from resdir.directory.facts import PlaceFacts, ProgramFacts
from resdir.directory.facts_query import stream_facts
from resdir.directory.models import Location, Service, ServiceAtLocation
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


def spans_of(service: Service | ProgramFacts) -> list[hours.Span]:
    return [
        hours.Span(hours.HSDS_DAYS.index(s.byday), s.opens_at, s.closes_at)
        for s in service.schedules
        if not s.closed and s.byday in hours.HSDS_DAYS and s.opens_at and s.closes_at
    ]


def index_point(place: PlaceFacts) -> tuple[float, float] | None:
    """Where a location is searched from. A confidential location is placed at its ZIP's
    centre, so distances never reveal the real address."""
    return _point(place.confidential, place.postal_code, place.latitude, place.longitude)


def location_point(location) -> tuple[float, float] | None:
    """index_point of a location read with its address (an ORM Location, or a
    results.ResultLocation)."""
    address = location.address
    return _point(location.confidential, address.postal_code if address else None,
                  location.latitude, location.longitude)


def _point(confidential: bool, postal_code: str | None, latitude: float | None,
           longitude: float | None) -> tuple[float, float] | None:
    if confidential:
        try:
            found = lookup_zip(postal_code) if postal_code else None
        except UnknownZip:
            found = None
        return (found.latitude, found.longitude) if found else None
    if latitude is None or longitude is None:
        return None
    return (latitude, longitude)


def document_for(program: ProgramFacts, default_tz: str) -> Document:
    """The document of a program: what the index may know about it."""
    points = [p for p in (index_point(place) for place in program.locations) if p]
    spans = spans_of(program)
    schedules = program.schedules
    has_hours = bool(schedules) and any(not s.closed for s in schedules)
    categories = program.categories
    doc = Document(
        id=program.id,
        stamp="",
        name=program.name,
        organization=program.organization_name or "",
        text=" ".join(
            filter(None, [program.alternate_name, program.description,
                          program.eligibility_description])
        ),
        categories=sorted(c.code for c in categories if c.code),
        category_names=sorted(c.name for c in categories),
        terms=sorted(set(program.source_terms)),
        languages=sorted(set(program.languages)),
        status=program.status,
        capacity=program.capacity_status,
        minimum_age=program.minimum_age,
        maximum_age=program.maximum_age,
        points=points,
        timezone=program.timezone or default_tz,
        open_minutes=[m for s in spans for m in s.minutes()] if has_hours else None,
        closures=[
            (s.valid_from.isoformat(), (s.valid_to or s.valid_from).isoformat())
            for s in schedules
            if s.closed and s.valid_from
        ],
        verified=program.assured_date.isoformat() if program.assured_date else None,
        shown=shown_of(program),
    )
    doc.stamp = stamp_of(doc)
    return doc


# Compact and in a fixed order: the stamp covers it, so it must not vary between builds.
_SHOWN_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def shown_of(program: ProgramFacts) -> str:
    """What a search result shows of the program and does not compute at request time
    (JSON; read back by searching.result_json). Written with the rest of the document, by
    the same change-log path, so it is exactly as fresh as the search that finds it.
    Distance, the nearest place's address and staleness depend on the request and the day:
    each place keeps its search point, and the verification date is kept, not "stale".
    A confidential place's address is not kept at all (results never show it)."""
    return _SHOWN_JSON.encode({
        "name": program.name,
        "organization": {"id": program.organization_id, "name": program.organization_name},
        "categories": sorted(c.code for c in program.categories if c.code),
        "phone": program.phone,
        "status": program.status,
        "capacity": program.capacity_status,
        "verified": program.assured_date.isoformat() if program.assured_date else None,
        "description": program.description or "",
        "places": [[index_point(place), place.confidential,
                    None if place.confidential else place.address]
                   for place in program.locations],
    })


_STAMPED = tuple(f.name for f in fields(Document) if f.name != "stamp")
# json.dumps(payload, sort_keys=True, default=str) builds this encoder on every call.
_STAMP_JSON = json.JSONEncoder(sort_keys=True, default=str)


def stamp_of(doc: Document) -> str:
    """A digest of everything indexed: it changes exactly when the document does."""
    # The same JSON as json.dumps(asdict(doc)) (Document holds no nested dataclasses),
    # without asdict's deep copy.
    payload = {name: getattr(doc, name) for name in _STAMPED}
    return hashlib.sha1(_STAMP_JSON.encode(payload).encode()).hexdigest()


def documents(ids: list[str] | None, default_tz: str, batch: int = 1000):
    """Yield documents for the given service ids (all services when None), read in
    batches as ProgramFacts (missing ids left out)."""
    for program in stream_facts(ids, batch):
        yield document_for(program, default_tz)
