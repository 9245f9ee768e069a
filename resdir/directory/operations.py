"""Directory business logic: categories, loading the directory CSV, reading programs.

Functions here own their transaction: they commit (through `indexing.commit`, which then
brings the search index up to date) or roll back as a whole.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from resdir import ROOT
from resdir.directory import csvimport, indexing
from resdir.directory import models as m
from resdir.directory.documents import LOAD_ALL
from resdir.errors import NotFound
from resdir.extensions import db

log = logging.getLogger(__name__)
CATEGORIES_FILE = ROOT / "data" / "categories.csv"


@dataclass
class ImportSummary:
    organizations: int = 0
    locations: int = 0
    created: int = 0
    updated: int = 0


def ensure_categories() -> dict[str, m.TaxonomyTerm]:
    """Create or refresh resdir's category taxonomy from data/categories.csv."""
    taxonomy = db.session.get(m.Taxonomy, m.CATEGORY_TAXONOMY_ID)
    if taxonomy is None:
        taxonomy = m.Taxonomy(
            id=m.CATEGORY_TAXONOMY_ID,
            name="resdir categories",
            description="resdir's top-level program categories, mapped to Open Eligibility.",
            version="1",
        )
        db.session.add(taxonomy)
    terms = {
        t.code: t
        for t in db.session.scalars(
            select(m.TaxonomyTerm).where(m.TaxonomyTerm.taxonomy_id == m.CATEGORY_TAXONOMY_ID)
        )
    }
    with CATEGORIES_FILE.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            term = terms.get(row["slug"])
            if term is None:
                term = m.TaxonomyTerm(taxonomy_id=m.CATEGORY_TAXONOMY_ID, code=row["slug"])
                db.session.add(term)
                terms[row["slug"]] = term
            term.name = row["name"]
            term.description = row["description"]
            term.open_eligibility = row["open_eligibility"]
    db.session.flush()
    return terms


def categories() -> list[m.TaxonomyTerm]:
    return list(
        db.session.scalars(
            select(m.TaxonomyTerm)
            .where(m.TaxonomyTerm.taxonomy_id == m.CATEGORY_TAXONOMY_ID)
            .order_by(m.TaxonomyTerm.name)
        )
    )


@lru_cache(maxsize=1)
def category_slugs() -> frozenset[str]:
    """The category slugs of data/categories.csv (read once: every search checks them)."""
    with CATEGORIES_FILE.open(newline="", encoding="utf-8") as handle:
        return frozenset(row["slug"] for row in csv.DictReader(handle))


def import_csv(path: str | Path) -> ImportSummary:
    """Load a directory CSV; all or nothing. Raises csvimport.CsvImportError."""
    rows = csvimport.read(path, category_slugs())
    try:
        terms = ensure_categories()
        summary = _apply(rows, terms)
        indexing.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info(
        "imported %s: %d programs created, %d updated", Path(path).name, summary.created,
        summary.updated,
    )
    return summary


def _by_key(model, keys: set[str]) -> dict[str, object]:
    found = db.session.scalars(select(model).where(model.source_key.in_(keys)))
    return {obj.source_key: obj for obj in found}


def _apply(rows: list[csvimport.Row], terms: dict[str, m.TaxonomyTerm]) -> ImportSummary:
    summary = ImportSummary()
    orgs = _by_key(m.Organization, {"csv:" + str(r.values["organization_key"]) for r in rows})
    locs = _by_key(m.Location, {"csv:" + str(r.values["location_key"]) for r in rows})
    keys = {"csv:" + str(r.values["program_key"]) for r in rows}
    services = {
        s.source_key: s
        for s in db.session.scalars(
            select(m.Service).where(m.Service.source_key.in_(keys)).options(
                *LOAD_ALL, selectinload(m.Service.eligibility),
                selectinload(m.Service.phones), selectinload(m.Service.service_areas),
                selectinload(m.Service.required_documents),
                selectinload(m.Service.cost_options),
            )
        )
    }
    done_orgs: set[str] = set()
    done_locs: set[str] = set()
    for row in rows:
        v = row.values
        org_key = "csv:" + str(v["organization_key"])
        org = orgs.get(org_key)
        if org is None:
            org = orgs[org_key] = m.Organization(source_key=org_key, name=v["organization_name"])
            db.session.add(org)
        if org_key not in done_orgs:
            done_orgs.add(org_key)
            summary.organizations += 1
            _set(org, name=v["organization_name"],
                 description=v["organization_description"] or None,
                 website=v["organization_url"] or None, email=v["organization_email"] or None)
        loc_key = "csv:" + str(v["location_key"])
        loc = locs.get(loc_key)
        if loc is None:
            loc = locs[loc_key] = m.Location(source_key=loc_key, organization=org)
            db.session.add(loc)
        if loc_key not in done_locs:
            done_locs.add(loc_key)
            summary.locations += 1
            apply_location_row(loc, org, v)
        key = "csv:" + str(v["program_key"])
        service = services.get(key)
        if service is None:
            service = services[key] = m.Service(source_key=key, organization=org, name="")
            db.session.add(service)
            summary.created += 1
        else:
            summary.updated += 1
        apply_service_row(service, org, loc, v, terms)
    return summary


def _set(obj, **values) -> None:
    """Assign only what changed, so unchanged rows are not rewritten (or re-versioned)."""
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)


def apply_location_row(loc: m.Location, org: m.Organization, v: dict) -> None:
    _set(loc, organization=org, name=v["location_name"] or None, latitude=v["latitude"],
         longitude=v["longitude"], timezone=v["timezone"], confidential=v["confidential"])
    address = loc.address
    if address is None:
        address = m.Address(address_1="", city="", state_province="", postal_code="")
        loc.addresses.append(address)
    _set(address, address_1=v["address_1"], city=v["city"], state_province=v["state"].upper(),
         postal_code=v["postal_code"], country="US", address_type="physical")


def _replace(service: m.Service, attr: str, new: list, same) -> None:
    """Replace a child collection unless it already holds the same content (in any order:
    PostgreSQL returns unordered children in no fixed order)."""
    old = getattr(service, attr)
    if sorted(map(same, old), key=repr) != sorted(map(same, new), key=repr):
        setattr(service, attr, new)


def apply_service_row(service, org, loc, v: dict, terms) -> None:
    _set(
        service, organization=org, name=v["program_name"],
        description=v["program_description"] or None, status=v["status"],
        url=v["program_url"] or None, email=v["program_email"] or None,
        application_process=v["application_process"] or None,
        fees_description=v["fees"] or None,
        eligibility_description=v["eligibility_description"] or None,
        minimum_age=v["min_age"], maximum_age=v["max_age"], assured_date=v["assured_date"],
        capacity_status=v["capacity_status"], capacity_available=v["capacity_available"],
        capacity_maximum=v["capacity_maximum"],
    )
    links = service.service_at_locations
    if not (len(links) == 1 and links[0].location is loc):
        service.service_at_locations = [m.ServiceAtLocation(location=loc)]
    spans = [
        m.Schedule(freq="WEEKLY", byday=m.WEEKDAYS[s.day], opens_at=s.opens, closes_at=s.closes,
                   closed=False, position=i)  # closed given: _replace compares it before flush
        for i, s in enumerate(v["hours"])
    ]
    spans += [
        m.Schedule(closed=True, valid_from=d, valid_to=d, description="Closed", position=100 + i)
        for i, d in enumerate(v["holiday_closures"])
    ]
    _replace(service, "schedules", spans,
             lambda s: (s.byday, s.opens_at, s.closes_at, s.closed, s.valid_from))
    _replace(service, "phones", [m.Phone(number=v["phone"], type="voice")] if v["phone"] else [],
             lambda p: p.number)
    _replace(service, "languages", [m.Language(code=c) for c in v["languages"]],
             lambda lang: lang.code)
    _replace(service, "required_documents",
             [m.RequiredDocument(document=d) for d in v["required_documents"]],
             lambda d: d.document)
    _replace(service, "attributes",
             [m.Attribute(link_entity="service", link_type="category",
                          taxonomy_term_id=terms[c].id, taxonomy_term=terms[c])
              for c in v["categories"]],
             lambda a: a.taxonomy_term_id)
    _replace(service, "service_areas", _areas(v, loc),
             lambda a: (a.kind, a.extent, a.radius_mi))
    _apply_eligibility(service, v)


def _areas(v: dict, loc: m.Location) -> list[m.ServiceArea]:
    areas = []
    if v["service_area_zips"]:
        areas.append(m.ServiceArea(kind="postal_codes", extent=";".join(v["service_area_zips"]),
                                   name="ZIP codes served"))
    for county in v["service_area_counties"]:
        areas.append(m.ServiceArea(kind="county", extent=county, name=county))
    if v["service_area_radius_mi"]:
        areas.append(m.ServiceArea(
            kind="radius", radius_mi=v["service_area_radius_mi"], name="Nearby residents",
            extent=f"{v['service_area_radius_mi']:g} miles", center_latitude=v["latitude"],
            center_longitude=v["longitude"]))
    if v["service_area_geojson"]:
        areas.append(m.ServiceArea(kind="polygon", extent=v["service_area_geojson"],
                                   extent_type="geojson", name="Neighborhood served"))
    return areas


def _apply_eligibility(service: m.Service, v: dict) -> None:
    wanted = dict(
        income_limit_fpl=v["income_limit_fpl"], household_size_min=v["household_size_min"],
        household_size_max=v["household_size_max"], veteran_required=v["veteran"],
        insurance=";".join(v["insurance"]) or None, gender=v["gender"],
        pregnancy_required=v["pregnant"], disability_required=v["disability"],
        languages=";".join(v["eligible_languages"]) or None,
        residency_required=bool(_areas(v, m.Location())),
    )
    if not any(wanted.values()):
        if service.eligibility is not None:
            service.eligibility = None
        return
    if service.eligibility is None:
        service.eligibility = m.Eligibility()
    _set(service.eligibility, **wanted)


def get_service(service_id: str) -> m.Service:
    """One program with everything a program page shows; NotFound if there is none."""
    service = db.session.scalar(
        select(m.Service).where(m.Service.id == service_id).options(
            *LOAD_ALL, selectinload(m.Service.eligibility), selectinload(m.Service.phones),
            selectinload(m.Service.service_areas), selectinload(m.Service.required_documents),
            selectinload(m.Service.cost_options),
        )
    )
    if service is None:
        raise NotFound(f"No program has the id {service_id!r}.")
    return service


def services_by_ids(ids: list[str]) -> list[m.Service]:
    """The programs with these ids, in the order given (missing ones left out)."""
    if not ids:
        return []
    rows = db.session.scalars(
        select(m.Service).where(m.Service.id.in_(ids)).options(
            *LOAD_ALL, selectinload(m.Service.phones)
        )
    )
    found = {s.id: s for s in rows}
    return [found[i] for i in ids if i in found]
