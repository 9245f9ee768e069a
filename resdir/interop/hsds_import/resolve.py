"""From HSDS 3.0 tables to a plan: check every record, join the tables, repair what can be
repaired and skip (with the reason) what cannot. Nothing here touches the database."""

from __future__ import annotations

from resdir.interop.hsds_import import capacity, children, contacts, extensions, taxonomy
from resdir.interop.hsds_import.clean import Cleaner, unique
from resdir.interop.hsds_import.plan import (
    LOC_LIMITS,
    ORG_LIMITS,
    SVC_LIMITS,
    LocPlan,
    OrgPlan,
    Plan,
    SvcPlan,
)
from resdir.interop.hsds_import.report import ImportReport
from resdir.interop.hsds_import.tables import NOT_STORED, Dataset, Rec, slug


def resolve(dataset: Dataset, report: ImportReport) -> Plan:
    plan = Plan(dataset.source, extensions=extensions.collect(dataset))
    clean = Cleaner(report)
    for table in NOT_STORED:
        recs = dataset.rows(table)
        for file in sorted({r.file for r in recs if not r.nested}):
            report.note(file, None, "-", f"{table} records are not stored by resdir (no place "
                                         "for them); read only")
    for rec in unique(dataset.rows("organization"), report):
        _organization(plan, rec, clean)
    for rec in unique(dataset.rows("location"), report):
        _location(plan, rec, clean)
    for rec in unique(dataset.rows("service"), report):
        _service(plan, rec, clean)
    capacity.read(plan, unique(dataset.rows("service_capacity"), report), clean)
    _links(plan, unique(dataset.rows("service_at_location"), report), report)
    _owners(plan, report)
    contacts.read(plan, unique(dataset.rows("contact"), report), clean)
    children.attach(plan, dataset, clean)
    taxonomy.attach(plan, dataset, clean)
    return plan


def _own_id(rec: Rec, clean: Cleaner, *scope: str) -> str | None:
    key = rec.get("id")
    if key:
        return key
    name = rec.get("name")
    if not name:
        return None
    key = "/".join([*(s for s in scope if s), "name", slug(name, 80)])
    clean.repaired(rec, "id", f"missing; identified by name as {key!r}")
    rec.data["id"] = key
    return key


def _organization(plan: Plan, rec: Rec, clean: Cleaner) -> None:
    key = _own_id(rec, clean)
    name = clean.text(rec, "name", ORG_LIMITS["name"])
    if not key or not name:
        clean.skipped(rec, "name" if key else "id", "is required; organization skipped")
        return
    plan.orgs[key] = OrgPlan(rec, dict(
        name=name,
        alternate_name=clean.text(rec, "alternate_name", ORG_LIMITS["alternate_name"]),
        description=clean.text(rec, "description"),
        email=clean.text(rec, "email", ORG_LIMITS["email"]),
        website=clean.url(rec, "website", ORG_LIMITS["website"])
        or clean.url(rec, "url", ORG_LIMITS["website"]),
    ))


def _location(plan: Plan, rec: Rec, clean: Cleaner) -> None:
    key = _own_id(rec, clean, rec.get("organization_id"))
    if not key:
        clean.skipped(rec, "id", "is required; location skipped")
        return
    lat, lon = clean.coordinates(rec)
    kind = rec.get("location_type").lower() or "physical"
    if kind not in ("physical", "postal", "virtual"):
        clean.repaired(rec, "location_type", f"unknown type {kind!r}; set to 'physical'")
        kind = "physical"
    plan.locations[key] = LocPlan(rec, rec.get("organization_id") or None, dict(
        name=clean.text(rec, "name", LOC_LIMITS["name"]),
        description=clean.text(rec, "description"),
        location_type=kind, latitude=lat, longitude=lon,
        **extensions.location(plan.extensions, rec),
    ))


def _service(plan: Plan, rec: Rec, clean: Cleaner) -> None:
    key = _own_id(rec, clean, rec.get("organization_id"))
    name = clean.text(rec, "name", SVC_LIMITS["name"])
    if not key or not name:
        clean.skipped(rec, "name" if key else "id", "is required; program skipped")
        return
    low, high = (clean.integer(rec, "minimum_age", 0, 120),
                 clean.integer(rec, "maximum_age", 0, 120))
    if low is not None and high is not None and low > high:
        clean.repaired(rec, "maximum_age", f"{high} is below minimum_age {low}; dropped")
        high = None
    extra = extensions.service(plan.extensions, rec)
    eligibility = {"columns": extra.pop("eligibility")} if extra else {}
    plan.services[key] = SvcPlan(rec, rec.get("organization_id") or None, dict(
        name=name,
        alternate_name=clean.text(rec, "alternate_name", SVC_LIMITS["alternate_name"]),
        description=clean.text(rec, "description"),
        url=clean.url(rec, "url", SVC_LIMITS["url"]),
        email=clean.text(rec, "email", SVC_LIMITS["email"]),
        status=clean.status(rec),
        interpretation_services=clean.text(rec, "interpretation_services"),
        application_process=clean.text(rec, "application_process"),
        fees_description=clean.text(rec, "fees_description") or clean.text(rec, "fees"),
        eligibility_description=clean.text(rec, "eligibility_description"),
        minimum_age=low, maximum_age=high,
        assured_date=clean.day(rec, "assured_date"),
        assurer_email=clean.text(rec, "assurer_email", SVC_LIMITS["assurer_email"]),
        **extra,
    ), eligibility=eligibility)


def _links(plan: Plan, recs: list[Rec], report: ImportReport) -> None:
    """service_at_location rows, with columns that hold each other's ids put right."""
    swapped: dict[str, list] = {}
    for rec in recs:
        service_id, location_id = rec.get("service_id"), rec.get("location_id")
        if service_id not in plan.services and location_id not in plan.locations and (
                service_id in plan.locations and location_id in plan.services):
            service_id, location_id = location_id, service_id
            swapped.setdefault(rec.file, []).append(rec.row)
        service = plan.services.get(service_id)
        if service is None:
            report.skipped(rec.file, rec.row, "service_id",
                           f"no program has the id {service_id!r}" if service_id else "blank")
        elif location_id not in plan.locations:
            report.skipped(rec.file, rec.row, "location_id",
                           f"no location has the id {location_id!r}" if location_id else "blank")
        else:
            if location_id not in service.location_ids:
                service.location_ids.append(location_id)
            if rec.get("id"):
                plan.links[rec.get("id")] = (service_id, location_id)
    for file, rows in swapped.items():
        report.repaired(file, rows[0], "service_id", f"service_id and location_id hold each "
                        f"other's ids in {len(rows)} of {sum(r.file == file for r in recs)} "
                        "rows; read the other way round")


def _owners(plan: Plan, report: ImportReport) -> None:
    """Every location and program needs an organization that exists: take it from the
    program's location (or the location's programs) when the reference dangles."""
    by_location: dict[str, list[SvcPlan]] = {}
    for service in plan.services.values():
        for loc_id in service.location_ids:
            by_location.setdefault(loc_id, []).append(service)
    for key, loc in list(plan.locations.items()):
        if loc.org_id in plan.orgs:
            continue
        owners = [s.org_id for s in by_location.get(key, []) if s.org_id in plan.orgs]
        if not _adopt(loc, owners, report, "a program at this location"):
            _drop(plan.locations, key, report, "location")
    for key, service in list(plan.services.items()):
        service.location_ids = [i for i in service.location_ids if i in plan.locations]
        if service.org_id in plan.orgs:
            continue
        owners = [plan.locations[i].org_id for i in service.location_ids]
        if _adopt(service, owners, report, "its location"):
            continue
        if service.rec.renamed.get("organization_id") == "location_id":
            # Ohana: a program's organization is its location's; name the real cause
            where = service.rec.get("location_id")
            cause = f"{where!r} is not a location here" if where else "is blank"
            report.skipped(service.rec.file, service.rec.row, "location_id",
                           f"{cause}; an Ohana program belongs to its location's "
                           "organization; program skipped")
            del plan.services[key]
        else:
            _drop(plan.services, key, report, "program")


def _given(item: LocPlan | SvcPlan) -> str:
    return repr(item.org_id) if item.org_id else "blank"


def _adopt(item: LocPlan | SvcPlan, owners: list[str], report: ImportReport,
           whose: str) -> bool:
    """Give a location or program whose organization dangles the first of `owners` (the
    organization of `whose`); False when there is none."""
    if not owners:
        return False
    report.repaired(item.rec.file, item.rec.row, "organization_id",
                    f"{_given(item)} is not an organization here; used the organization of "
                    f"{whose}")
    item.org_id = owners[0]
    return True


def _drop(table: dict, key: str, report: ImportReport, what: str) -> None:
    item = table.pop(key)
    report.skipped(item.rec.file, item.rec.row, "organization_id",
                   f"{_given(item)} is not an organization here; {what} skipped")
