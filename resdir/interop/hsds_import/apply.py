"""Writing a plan into the session: records are found by their source keys (one query per
table), changed only where a value differs, and created with the source's UUID as their
id when it is a UUID nobody uses yet. The caller commits or rolls back."""

from __future__ import annotations

from sqlalchemy.orm import selectinload

from resdir.basics import new_id, utcnow
from resdir.directory import models as m
from resdir.directory import operations
from resdir.extensions import db
from resdir.interop.hsds_import import categorizing, contacts
from resdir.interop.hsds_import import services as writing
from resdir.interop.hsds_import.plan import Plan
from resdir.interop.hsds_import.report import ImportReport
from resdir.interop.hsds_import.store import (
    Bulk,
    by_key,
    changed_set,
    child_ids,
    count,
    free_ids,
    replace,
)


def apply(plan: Plan, report: ImportReport, organization_id: str | None = None,
          progress=None) -> set[str]:
    """Write the plan; return the ids of programs created or changed. Refusals (agency
    imports naming other organizations) are reported and nothing is written."""
    with db.session.no_autoflush:
        orgs = by_key(m.Organization, [plan.key("organization", k) for k in plan.orgs])
        locations = by_key(m.Location, [plan.key("location", k) for k in plan.locations],
                           selectinload(m.Location.addresses))
        services = by_key(m.Service, [plan.key("service", k) for k in plan.services],
                          *writing.LOAD)
        if organization_id is not None and not _restrict(plan, report, organization_id, orgs,
                                                         locations, services):
            return set()
        categories = operations.ensure_categories()
        categorizing.fill(plan, report, services)
        # Staging: new rows and changed programs are queued in `bulk`, changes to existing
        # organizations, locations and terms wait in the session (autoflush is off), so
        # nothing is written yet and SQLite's write lock is free while the plan is turned
        # into rows (issue 9, item 4).
        bulk = Bulk()
        org_ids = _organizations(plan, report, orgs, bulk)
        loc_ids = _locations(plan, report, locations, org_ids, bulk)
        terms = writing.terms(plan, report, categories)
        touched = writing.services(plan, report, services, org_ids, loc_ids, terms, bulk,
                                   progress)
        bulk.stage()  # into temporary tables, still without a lock on the real ones
        # Writing, in one go: new parents, the changed programs (version checked and bumped,
        # changed details removed), the other changed records (taxonomy terms among them,
        # before the programs that use them), then the new programs and details.
        bulk.write(m.Organization, m.Location, m.Address)
        bulk.write_edits()
        db.session.flush()
        bulk.write(*writing.BULK_ORDER)
        categorizing.queue(plan)
        contacts.write(plan, report, org_ids, loc_ids)
        return touched


def _restrict(plan: Plan, report: ImportReport, organization_id: str, orgs: dict,
              locations: dict, services: dict) -> bool:
    """An agency's upload may only describe its own organization. The file's organization
    is the agency's when it already maps to it (by source key or by our id), or when it is
    the file's only organization or has the agency's name; it is then written onto the
    agency's organization. Anything else is refused."""
    target = db.session.get(m.Organization, organization_id)
    if target is None:
        report.fatal("-", None, "organization_id", f"no organization has the id "
                                                   f"{organization_id!r}")
        return False
    ok = True
    for key, org in plan.orgs.items():
        existing = orgs.get(plan.key("organization", key))
        mine = key == organization_id or (existing is not None and existing.id == target.id) or (
            existing is None and (len(plan.orgs) == 1
                                  or org.values["name"].casefold() == target.name.casefold()))
        if mine:
            orgs[plan.key("organization", key)] = target
            continue
        ok = False
        report.refused(org.rec.file, org.rec.row, "id", f"organization {org.values['name']!r} "
                       f"is not {target.name!r}; an agency may import only its own listings")
    for table, plans, found in (("location", plan.locations, locations),
                                ("service", plan.services, services)):
        for key, item in plans.items():
            existing = found.get(plan.key(table, key))
            if existing is not None and existing.organization_id != target.id:
                ok = False
                report.refused(item.rec.file, item.rec.row, "id", f"this {table} belongs to "
                               "another organization in resdir")
    return ok


def _records(plan: Plan, report: ImportReport, table: str, model, items: dict, found: dict,
             add, update) -> dict:
    """Queue each new record (`add(item, our id, source key)`) and change each existing one
    (`update(record, item, source key)`, True if it changed); return source id -> our id.
    A new record gets the source's id when it is a UUID nobody uses, else a new one."""
    free = free_ids(model, list(items))
    out = {}
    for key, item in items.items():
        source_key = plan.key(table, key)
        existing = found.get(source_key)
        if existing is None:
            out[key] = key.lower() if key.lower() in free else new_id()
            free.discard(out[key])
            add(item, out[key], source_key)
            count(report, table, True, True)
        else:
            out[key] = existing.id
            count(report, table, False, update(existing, item, source_key))
    return out


def _organizations(plan: Plan, report: ImportReport, orgs: dict, bulk: Bulk) -> dict:
    def add(item, our_id: str, source_key: str) -> None:
        bulk.add(m.Organization, id=our_id, source_key=source_key, last_modified=utcnow(),
                 **item.values)

    return _records(plan, report, "organization", m.Organization, plan.orgs, orgs, add,
                    lambda org, item, _key: changed_set(org, **item.values))


def _locations(plan: Plan, report: ImportReport, locations: dict, org_ids: dict,
               bulk: Bulk) -> dict:
    def add(item, our_id: str, source_key: str) -> None:
        bulk.add(m.Location, id=our_id, source_key=source_key,
                 organization_id=org_ids[item.org_id], **{"confidential": False, **item.values})
        for address in child_ids(source_key, "address", item.addresses):
            bulk.add(m.Address, location_id=our_id, **address)

    def update(loc: m.Location, item, source_key: str) -> bool:
        changed = changed_set(loc, organization_id=org_ids[item.org_id], **item.values)
        addresses = [m.Address(**a) for a in child_ids(source_key, "address", item.addresses)]
        return replace(loc, "addresses", addresses, _address_key) or changed

    return _records(plan, report, "location", m.Location, plan.locations, locations, add,
                    update)


def _address_key(a: m.Address) -> tuple:
    return (a.attention, a.address_1, a.address_2, a.city, a.region, a.state_province,
            a.postal_code, a.country, a.address_type)
