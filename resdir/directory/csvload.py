"""Writing a checked directory CSV (rows from csvimport.read) in two steps, so that SQLite's
single write lock is held only for the short second one (issue 9, item 4):

1. Staging (reads only): existing records are loaded by source key and compared. New
   organizations, locations and programs (with every child row and their index change-log
   rows) become plain rows with their ids given; a changed program becomes an edit (its
   values and the version read) with its changed child rows to replace. All of it goes into
   temporary staging tables (bulk.py). Changed organizations and locations (few) wait in
   the session with autoflush off. Nothing reaches the real tables.
2. Writing: one transaction that copies the new rows across (one `INSERT ... SELECT` per
   table), updates the changed programs from their staging table in one statement that
   checks and bumps each one's version, replaces their changed child rows (one DELETE and
   one INSERT per table), flushes the changed organizations and locations, then commits. A
   program changed by someone else meanwhile matches no row: the whole import rolls back.

Bad input never gets here (csvimport.read refused it), so all or nothing still holds: the
write either commits everything or nothing. Re-running updates instead of duplicating.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from resdir.basics import new_id, utcnow
from resdir.directory import csvimport
from resdir.directory import models as m
from resdir.directory.bulk import Bulk, differs
from resdir.directory.documents import LOAD_ALL
from resdir.extensions import db

# New rows are inserted parents first.
NEW_PARENTS = (m.Organization, m.Location, m.Address)
NEW_CHILDREN = (m.Service, m.ServiceAtLocation, m.Schedule, m.Phone, m.Language,
                m.RequiredDocument, m.Attribute, m.ServiceArea, m.Eligibility, m.IndexChange)


@dataclass
class ImportSummary:
    organizations: int = 0
    locations: int = 0
    created: int = 0
    updated: int = 0
    new_ids: set[str] = field(default_factory=set)  # programs created (for the index)
    edited_ids: set[str] = field(default_factory=set)  # existing programs changed


@dataclass
class Staged:
    summary: ImportSummary
    bulk: Bulk


def stage(rows: list[csvimport.Row], terms: dict[str, m.TaxonomyTerm],
          progress=None) -> Staged:
    """Step 1: everything the import will write, with no write to the database.
    `progress(stage, done, total)`, if given, is called every 500 programs."""
    summary, bulk = ImportSummary(), Bulk()
    with db.session.no_autoflush:
        orgs = _by_key(m.Organization, {_key(r, "organization_key") for r in rows})
        locs = _by_key(m.Location, {_key(r, "location_key") for r in rows},
                       selectinload(m.Location.addresses))
        services = _by_key(m.Service, {_key(r, "program_key") for r in rows}, *LOAD_ALL,
                           selectinload(m.Service.eligibility), selectinload(m.Service.phones),
                           selectinload(m.Service.service_areas),
                           selectinload(m.Service.required_documents),
                           selectinload(m.Service.cost_options))
        org_ids: dict[str, str] = {k: o.id for k, o in orgs.items()}
        loc_ids: dict[str, str] = {k: loc.id for k, loc in locs.items()}
        for done, row in enumerate(rows, 1):
            if progress and (done % 500 == 0 or done == len(rows)):
                progress("staging programs", done, len(rows))
            v = row.values
            org_key, loc_key = _key(row, "organization_key"), _key(row, "location_key")
            if org_key not in org_ids:
                org_ids[org_key] = new_id()
                bulk.add(m.Organization, id=org_ids[org_key], source_key=org_key,
                         last_modified=utcnow(), **_org_values(v))
                summary.organizations += 1
            elif org_key in orgs:
                _set(orgs.pop(org_key), **_org_values(v))
                summary.organizations += 1
            if loc_key not in loc_ids:
                loc_ids[loc_key] = new_id()
                bulk.add(m.Location, id=loc_ids[loc_key], source_key=loc_key,
                         organization_id=org_ids[org_key], **_location_values(v))
                bulk.add(m.Address, id=new_id(), location_id=loc_ids[loc_key],
                         **_address_values(v))
                summary.locations += 1
            elif loc_key in locs:
                _update_location(locs.pop(loc_key), org_ids[org_key], v)
                summary.locations += 1
            service = services.get(_key(row, "program_key"))
            if service is None:
                _new_service(bulk, _key(row, "program_key"), org_ids[org_key],
                             loc_ids[loc_key], v, terms, summary)
            else:
                if _update_service(bulk, service, org_ids[org_key], loc_ids[loc_key], v,
                                   terms):
                    summary.edited_ids.add(service.id)
                summary.updated += 1
        # The programs were read only to compare: out of the session, so that a flush of a
        # changed location (which bumps its programs' versions) reads them anew, after the
        # edits of this import are written.
        for service in services.values():
            db.session.expunge(service)
        # New rows into temporary tables (no lock on the real ones); autoflush stays off so
        # that the changed records are not written yet either.
        bulk.stage()
    return Staged(summary, bulk)


def write(staged: Staged) -> None:
    """Step 2: the new rows and the changed records, in the caller's transaction."""
    staged.bulk.write(*NEW_PARENTS)
    staged.bulk.write_edits()  # changed programs (version checked), replaced children
    db.session.flush()  # changed organizations and locations
    staged.bulk.write(*NEW_CHILDREN)


def _key(row: csvimport.Row, column: str) -> str:
    return "csv:" + str(row.values[column])


def _by_key(model, keys: set[str], *options) -> dict[str, object]:
    keys_list, out = sorted(keys), {}
    for start in range(0, len(keys_list), 5000):
        query = select(model).where(model.source_key.in_(keys_list[start:start + 5000]))
        out.update((o.source_key, o) for o in db.session.scalars(query.options(*options)))
    return out


def _set(obj, **values) -> None:
    """Assign only what changed, so unchanged rows are not rewritten (or re-versioned)."""
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)


def _org_values(v: dict) -> dict:
    return dict(name=v["organization_name"], description=v["organization_description"] or None,
                website=v["organization_url"] or None, email=v["organization_email"] or None)


def _location_values(v: dict) -> dict:
    return dict(name=v["location_name"] or None, latitude=v["latitude"],
                longitude=v["longitude"], timezone=v["timezone"], confidential=v["confidential"])


def _address_values(v: dict) -> dict:
    return dict(address_1=v["address_1"], city=v["city"], state_province=v["state"].upper(),
                postal_code=v["postal_code"], country="US", address_type="physical")


def _update_location(loc: m.Location, org_id: str, v: dict) -> None:
    _set(loc, organization_id=org_id, **_location_values(v))
    address = loc.address
    if address is None:
        address = m.Address(id=new_id(), address_1="", city="", state_province="",
                            postal_code="")
        loc.addresses.append(address)
    _set(address, **_address_values(v))


def _service_values(v: dict) -> dict:
    return dict(
        name=v["program_name"], description=v["program_description"] or None,
        status=v["status"], url=v["program_url"] or None, email=v["program_email"] or None,
        application_process=v["application_process"] or None,
        fees_description=v["fees"] or None,
        eligibility_description=v["eligibility_description"] or None,
        minimum_age=v["min_age"], maximum_age=v["max_age"], assured_date=v["assured_date"],
        capacity_status=v["capacity_status"], capacity_available=v["capacity_available"],
        capacity_maximum=v["capacity_maximum"],
    )


def _children(v: dict, terms) -> dict[str, list[dict]]:
    """A row's child records as column values, by the Service relationship holding them."""
    spans = [dict(freq="WEEKLY", byday=m.WEEKDAYS[s.day], opens_at=s.opens, closes_at=s.closes,
                  closed=False, position=i, valid_from=None, valid_to=None, description=None)
             for i, s in enumerate(v["hours"])]
    spans += [dict(freq=None, byday=None, opens_at=None, closes_at=None, closed=True,
                   valid_from=d, valid_to=d, description="Closed", position=100 + i)
              for i, d in enumerate(v["holiday_closures"])]
    return {
        "schedules": spans,
        "phones": [dict(number=v["phone"], type="voice")] if v["phone"] else [],
        "languages": [dict(code=c) for c in v["languages"]],
        "required_documents": [dict(document=d) for d in v["required_documents"]],
        "attributes": [dict(link_entity="service", link_type="category",
                            taxonomy_term_id=terms[c].id) for c in v["categories"]],
        "service_areas": _areas(v),
    }


# relationship -> (model, what tells two rows apart when comparing)
CHILDREN = {
    "schedules": (m.Schedule, ("byday", "opens_at", "closes_at", "closed", "valid_from")),
    "phones": (m.Phone, ("number",)),
    "languages": (m.Language, ("code",)),
    "required_documents": (m.RequiredDocument, ("document",)),
    "attributes": (m.Attribute, ("taxonomy_term_id",)),
    "service_areas": (m.ServiceArea, ("kind", "extent", "radius_mi")),
}


def _new_service(bulk: Bulk, source_key: str, org_id: str, loc_id: str, v: dict, terms,
                 summary: ImportSummary) -> None:
    sid = new_id()
    now = utcnow()
    bulk.add(m.Service, id=sid, source_key=source_key, organization_id=org_id, version=1,
             last_modified=now, **_service_values(v))
    bulk.add(m.ServiceAtLocation, id=new_id(), service_id=sid, location_id=loc_id)
    for attr, rows in _children(v, terms).items():
        model = CHILDREN[attr][0]
        link = {"link_id": sid} if attr == "attributes" else {"service_id": sid}
        for child in rows:
            bulk.add(model, id=new_id(), **link, **child)
    rules = _rules(v)
    if rules is not None:
        bulk.add(m.Eligibility, service_id=sid, **rules)
    bulk.add(m.IndexChange, service_id=sid, created_at=now)
    summary.created += 1
    summary.new_ids.add(sid)


def _update_service(bulk: Bulk, service: m.Service, org_id: str, loc_id: str, v: dict,
                    terms) -> bool:
    """Stage the changes of an existing program (nothing is written now); True if any. A
    changed program is written whole, its version checked and bumped (bulk.write_edits)."""
    sid, now = service.id, utcnow()
    values = dict(organization_id=org_id, **_service_values(v))
    changed = differs(service, values)
    links = service.service_at_locations
    if not (len(links) == 1 and links[0].location_id == loc_id):
        bulk.clear(m.ServiceAtLocation, "service_id", sid)
        bulk.add(m.ServiceAtLocation, id=new_id(), service_id=sid, location_id=loc_id)
        changed = True
    for attr, rows in _children(v, terms).items():
        model, columns = CHILDREN[attr]
        if attr == "attributes":
            changed |= bulk.replace(model, "link_id", sid, service.attributes, rows, columns,
                                    link_entity="service")
        else:
            changed |= bulk.replace(model, "service_id", sid, getattr(service, attr), rows,
                                    columns)
    rules, current = _rules(v), service.eligibility
    if (rules is None) != (current is None) or (rules and differs(current, rules)):
        bulk.clear(m.Eligibility, "service_id", sid)
        if rules is not None:
            bulk.add(m.Eligibility, service_id=sid, **rules)
        changed = True
    if changed:
        bulk.edit(m.Service, sid, version=service.version, last_modified=now, **values)
        bulk.add(m.IndexChange, service_id=sid, created_at=now)
    return changed


def _areas(v: dict) -> list[dict]:
    areas = []
    if v["service_area_zips"]:
        areas.append(dict(kind="postal_codes", extent=";".join(v["service_area_zips"]),
                          name="ZIP codes served", radius_mi=None))
    for county in v["service_area_counties"]:
        areas.append(dict(kind="county", extent=county, name=county, radius_mi=None))
    if v["service_area_radius_mi"]:
        areas.append(dict(
            kind="radius", radius_mi=v["service_area_radius_mi"], name="Nearby residents",
            extent=f"{v['service_area_radius_mi']:g} miles", center_latitude=v["latitude"],
            center_longitude=v["longitude"]))
    if v["service_area_geojson"]:
        areas.append(dict(kind="polygon", extent=v["service_area_geojson"],
                          extent_type="geojson", name="Neighborhood served", radius_mi=None))
    return areas


def _rules(v: dict) -> dict | None:
    """Structured eligibility, or None when the row states no rule."""
    wanted = dict(
        income_limit_fpl=v["income_limit_fpl"], household_size_min=v["household_size_min"],
        household_size_max=v["household_size_max"], veteran_required=v["veteran"],
        insurance=";".join(v["insurance"]) or None, gender=v["gender"],
        pregnancy_required=v["pregnant"], disability_required=v["disability"],
        languages=";".join(v["eligible_languages"]) or None,
        residency_required=bool(_areas(v)),
    )
    return wanted if any(wanted.values()) else None
