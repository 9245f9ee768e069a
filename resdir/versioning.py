"""Optimistic locking of records made of several rows (issue 9, item 1).

A listing (a service with its schedules, phones, languages, service areas, eligibility,
categories and its location), a client (with its needs and screenings) and a referral (with
its consent) each carry one `version` on the parent row, mapped as SQLAlchemy's
`version_id_col`: every UPDATE of that row is `... SET version = :v + 1 WHERE id = :id AND
version = :v`, so of two writers that read the same version the second one's UPDATE matches
no row, SQLAlchemy raises StaleDataError and the operation answers 409. The check and the
bump are one statement, so this holds across processes and on SQLite and PostgreSQL alike.

SQLAlchemy issues that UPDATE only when a column of the parent row changes. A save that
touches child rows alone (new hours, another language, a removed need) would keep the
version and let a second writer who read the same version save over it. The before_flush
hook below therefore finds the parent of every new, changed or deleted child row in the
flush and touches the parent's time stamp, so the same flush checks and bumps its version.

Referral events (the timeline, notes among them) are left out on purpose: they are
append-only, so a note cannot overwrite anything, and a note should not make the other
side's pending status change stale.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from resdir.basics import utcnow
from resdir.directory import models as dm
from resdir.matching import models as mm
from resdir.referrals import models as rm

LOCATION = "location"  # a key kind: the services at this location
_CHUNK = 500


@cache
def _tables():
    """(versioned parent classes with their time stamp attribute, child -> parent keys)."""
    stamps = {dm.Service: "last_modified", mm.Client: "updated_at", rm.Referral: "updated_at"}

    def service(obj):
        return [(dm.Service, obj.service_id)]

    def service_or_location(obj):
        if obj.service_id:
            return [(dm.Service, obj.service_id)]
        return [(LOCATION, obj.location_id)] if obj.location_id else []

    children = {
        dm.Schedule: service, dm.ServiceArea: service, dm.RequiredDocument: service,
        dm.CostOption: service, dm.Eligibility: service, dm.ServiceAtLocation: service,
        dm.Phone: service_or_location, dm.Language: service_or_location,
        dm.Attribute: lambda a: [(dm.Service, a.link_id)] if a.link_entity == "service"
        else [],
        dm.Location: lambda loc: [(LOCATION, loc.id)],
        dm.Address: lambda a: [(LOCATION, a.location_id)],
        mm.ClientNeed: lambda n: [(mm.Client, n.client_id)],
        mm.Screening: lambda s: [(mm.Client, s.client_id)],
        rm.Consent: lambda c: [(rm.Referral, c.referral_id)],
    }
    return stamps, children, dm


def touch(obj, attr: str) -> None:
    """Make the flush UPDATE the parent row (and so check and bump its version)."""
    setattr(obj, attr, utcnow())
    flag_modified(obj, attr)


def _before_flush(session: Session, _context, _instances) -> None:
    stamps, children, dm = _tables()
    parents: dict[int, object] = {}
    wanted: dict[object, set] = {}
    new, dirty, deleted = session.new, session.dirty, session.deleted  # each access builds a set
    for obj in (*new, *dirty, *deleted):
        kind = type(obj)
        if kind in stamps:
            if obj in dirty and session.is_modified(obj):  # collections count too
                parents[id(obj)] = obj
            continue
        finder = children.get(kind)
        if finder is None or (obj in dirty and not session.is_modified(obj)):
            continue  # "dirty" is optimistic: an attribute set to its own value is no change
        for parent_kind, key in finder(obj):
            if key is not None:
                wanted.setdefault(parent_kind, set()).add(key)
    with session.no_autoflush:
        locations = sorted(wanted.pop(LOCATION, set()))
        for chunk in _chunks(locations):
            link = dm.ServiceAtLocation
            wanted.setdefault(dm.Service, set()).update(session.scalars(
                select(link.service_id).where(link.location_id.in_(chunk))))
        for kind, keys in wanted.items():
            missing = []
            for key in keys:
                found = session.identity_map.get(
                    inspect(kind).identity_key_from_primary_key((key,)))
                if found is None:
                    missing.append(key)
                else:
                    parents[id(found)] = found
            for chunk in _chunks(sorted(missing)):
                for found in session.scalars(select(kind).where(kind.id.in_(chunk))):
                    parents[id(found)] = found
    for obj in parents.values():
        if obj not in deleted and obj not in new:
            touch(obj, stamps[type(obj)])


def _chunks(keys: list):
    for start in range(0, len(keys), _CHUNK):
        yield keys[start:start + _CHUNK]


def install() -> None:
    """Register the hook once for every session (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
