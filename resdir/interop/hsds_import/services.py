"""Writing programs (with their hours, phones, languages, areas, documents, costs,
locations and taxonomy attributes) and the imported taxonomies."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from resdir.basics import new_id, utcnow
from resdir.directory import models as m
from resdir.directory.bulk import differs
from resdir.extensions import db
from resdir.interop.hsds_import.plan import Plan
from resdir.interop.hsds_import.report import ImportReport
from resdir.interop.hsds_import.store import Bulk, changed_set, child_ids, count, free_ids

LOAD = (
    selectinload(m.Service.service_at_locations), selectinload(m.Service.schedules),
    selectinload(m.Service.phones), selectinload(m.Service.languages),
    selectinload(m.Service.service_areas), selectinload(m.Service.required_documents),
    selectinload(m.Service.cost_options), selectinload(m.Service.attributes),
    selectinload(m.Service.eligibility),
)


def _uuid(plan: Plan, table: str, key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, plan.key(table, key)))


def terms(plan: Plan, report: ImportReport, categories: dict) -> dict:
    """Create or update the imported taxonomies and terms; return source term id -> term,
    with resdir's category terms under "category:<slug>"."""
    tax_ids = {key: _uuid(plan, "taxonomy", key) for key in plan.taxonomies}
    existing = {t.id: t for t in db.session.scalars(
        select(m.Taxonomy).where(m.Taxonomy.id.in_(list(tax_ids.values()))))}
    for key, item in plan.taxonomies.items():
        taxonomy = existing.get(tax_ids[key])
        if taxonomy is None:
            taxonomy = m.Taxonomy(id=tax_ids[key])
            db.session.add(taxonomy)
        count(report, "taxonomy", tax_ids[key] not in existing, changed_set(taxonomy,
                                                                            **item.values))
    known = list(db.session.scalars(
        select(m.TaxonomyTerm).where(m.TaxonomyTerm.taxonomy_id.in_(list(tax_ids.values())))))
    by_id = {t.id: t for t in known}
    by_code = {(t.taxonomy_id, t.code): t for t in known}
    out: dict = {f"category:{slug}": term for slug, term in categories.items()}
    for key in _parents_first(plan):
        item = plan.terms[key]
        tax_id = tax_ids[item.taxonomy]
        term_id = _uuid(plan, "taxonomy_term", key)
        term = by_id.get(term_id) or by_code.get((tax_id, item.values["code"]))
        new = term is None
        if new:
            term = m.TaxonomyTerm(id=term_id, taxonomy_id=tax_id)
            db.session.add(term)
        parent = out[item.parent_id].id if item.parent_id else None
        count(report, "taxonomy_term", new,
              changed_set(term, taxonomy_id=tax_id, parent_id=parent, **item.values))
        out[key] = term
    return out


def _parents_first(plan: Plan) -> list[str]:
    """Term keys ordered so that a parent comes before its children (cycles are cut)."""
    for key, term in plan.terms.items():
        seen, node = {key}, term
        while node.parent_id:
            if node.parent_id in seen:
                node.parent_id = None
                break
            seen.add(node.parent_id)
            node = plan.terms[node.parent_id]
    depth: dict[str, int] = {}
    for key in plan.terms:
        chain, node_key = [], key
        while node_key is not None and node_key not in depth:
            chain.append(node_key)
            node_key = plan.terms[node_key].parent_id
        base = depth[node_key] + 1 if node_key is not None else 0
        for offset, k in enumerate(reversed(chain)):
            depth[k] = base + offset
    return sorted(plan.terms, key=lambda k: depth[k])


# relationship -> (model, the columns that tell two rows apart)
CHILDREN = {
    "service_at_locations": (m.ServiceAtLocation, ("location_id",)),
    "schedules": (m.Schedule, ("byday", "opens_at", "closes_at", "closed", "valid_from",
                               "valid_to", "description", "location_id", "freq")),
    "phones": (m.Phone, ("number", "extension", "type", "description", "location_id")),
    "languages": (m.Language, ("code", "name", "note", "location_id")),
    "service_areas": (m.ServiceArea, ("kind", "name", "description", "extent", "extent_type")),
    "required_documents": (m.RequiredDocument, ("document",)),
    "cost_options": (m.CostOption, ("option", "amount", "currency", "amount_description")),
    "attributes": (m.Attribute, ("taxonomy_term_id", "link_type", "value")),
}
BULK_ORDER = (m.Service, *(model for model, _ in CHILDREN.values()), m.Eligibility,
              m.IndexOutbox)


def services(plan: Plan, report: ImportReport, found: dict, org_ids: dict, loc_ids: dict,
             term_objs: dict, bulk: Bulk, progress=None) -> set[str]:
    """Stage the changes of the programs found (only those that changed) and the new ones,
    with their details and index outbox rows; return the ids of programs created or
    changed. The programs found leave the session: they were read only to compare, and a
    flush of a changed location (which bumps its programs' versions) must read them anew,
    after this import's edits are written."""
    free = free_ids(m.Service, list(plan.services))
    touched: set[str] = set()
    total = len(plan.services)
    for done, (key, item) in enumerate(plan.services.items(), 1):
        source_key = plan.key("service", key)
        service = found.get(source_key)
        rows = {attr: child_ids(source_key, attr, found)
                for attr, found in _child_rows(item, loc_ids, term_objs).items()}
        if service is None:
            sid = key.lower() if key.lower() in free else new_id()
            free.discard(sid)
            bulk.add(m.Service, id=sid, source_key=source_key, organization_id=org_ids[item.org_id],
                     version=1, last_modified=utcnow(), **item.values)
            for attr, (model, _) in CHILDREN.items():
                link = {"link_id": sid} if attr == "attributes" else {"service_id": sid}
                for row in rows[attr]:
                    bulk.add(model, **link, **row)
            rules = _rules(item.eligibility)
            if rules:
                bulk.add(m.Eligibility, service_id=sid, **rules)
            bulk.add(m.IndexOutbox, service_id=sid, created_at=utcnow())
            count(report, "service", True, True)
            touched.add(sid)
        else:
            edited = _edit(bulk, service, dict(organization_id=org_ids[item.org_id],
                                               **item.values), rows, item.eligibility)
            count(report, "service", False, edited)
            if edited:
                touched.add(service.id)
        if progress and (done % 500 == 0 or done == total):
            progress("writing programs", done, total)
    for service in found.values():
        db.session.expunge(service)
    return touched


def _child_rows(item, loc_ids: dict, term_objs: dict) -> dict[str, list[dict]]:
    def at(row: dict) -> dict:
        return {**row, "location_id": loc_ids.get(row.get("location_id"))}

    categories = [(term_objs[f"category:{slug}"].id, item.category_types.get(slug, "category"))
                  for slug in item.categories]
    terms = [(term_objs[t].id, value) for t, value in item.term_ids if t in term_objs]
    return {
        "service_at_locations": [{"location_id": loc_ids[i]} for i in item.location_ids],
        "schedules": [{"freq": None, "byday": None, "opens_at": None, "closes_at": None,
                       **at(s), "position": n} for n, s in enumerate(item.schedules)],
        "phones": [{**at(p), "position": n} for n, p in enumerate(item.phones)],
        "languages": [at(lang) for lang in item.languages],
        "service_areas": [{"extent_type": "text", **a} for a in item.areas],
        "required_documents": [{"document": d} for d in item.documents],
        "cost_options": item.costs,
        "attributes": [dict(link_entity="service", link_type=kind, taxonomy_term_id=t,
                            value=None) for t, kind in categories]
        + [dict(link_entity="service", link_type="taxonomy", taxonomy_term_id=t, value=v)
           for t, v in terms],
    }


def _rules(given: dict) -> dict | None:
    """Structured eligibility from the file: resdir's own extension attributes (all rules),
    or HSDS 1.x's gender words; None when the file says nothing about it (then rules an
    agency entered in resdir are left as they are: HSDS 3.0 has no such rules)."""
    if "columns" in given:
        return given["columns"] or {}
    genders = given.get("genders") or set()
    return {"gender": next(iter(genders))} if len(genders) == 1 else None


def _edit(bulk: Bulk, service: m.Service, values: dict, rows: dict, eligibility: dict) -> bool:
    """Stage the changes of an existing program (nothing is written now); True if any. A
    changed program is written whole, its version checked and bumped (bulk.write_edits)."""
    sid = service.id
    changed = differs(service, values)
    for attr, (model, columns) in CHILDREN.items():
        column, where = ("link_id", {"link_entity": "service"}) if attr == "attributes" else (
            "service_id", {})
        changed |= bulk.replace(model, column, sid, getattr(service, attr), rows[attr], columns,
                                **where)
    rules, current = _rules(eligibility), service.eligibility
    if rules is not None and (current is not None if not rules else
                              current is None or differs(current, rules)):
        # Rules the file does not give stay as they are (an agency may have entered them).
        kept = {c.name: getattr(current, c.name) for c in m.Eligibility.__table__.c
                if c.name != "service_id"} if current is not None else {}
        bulk.clear(m.Eligibility, "service_id", sid)
        if rules:
            bulk.add(m.Eligibility, service_id=sid, **{**kept, **rules})
        changed = True
    if changed:
        now = utcnow()
        bulk.edit(m.Service, sid, version=service.version, last_modified=now, **values)
        bulk.add(m.IndexOutbox, service_id=sid, created_at=now)
    return changed
