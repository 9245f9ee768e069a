"""From directory rows to search documents (what the index may know about a program)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from resdir.directory import hours
from resdir.directory.models import Location, Service, ServiceAtLocation
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
    )
    doc.stamp = stamp_of(doc)
    return doc


def stamp_of(doc: Document) -> str:
    """A digest of everything indexed: it changes exactly when the document does."""
    payload = asdict(doc)
    payload.pop("stamp", None)
    return hashlib.sha1(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def documents(ids: list[str] | None, default_tz: str, batch: int = 500):
    """Yield documents for the given service ids (all services when None), in batches."""
    if ids is None:
        ids = list(db.session.scalars(select(Service.id).order_by(Service.id)))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        rows = db.session.scalars(select(Service).where(Service.id.in_(chunk)).options(*LOAD_ALL))
        for service in rows:
            yield document_for(service, default_tz)
        db.session.expunge_all()
