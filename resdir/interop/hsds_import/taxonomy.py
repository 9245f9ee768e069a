"""Taxonomies, their terms and the attributes that tie terms to programs; each program's
resdir categories follow from its terms (see categories.py)."""

from __future__ import annotations

from resdir.directory import models as m
from resdir.directory.operations import category_slugs
from resdir.interop.hsds_extensions import EXTENSION_TAXONOMIES
from resdir.interop.hsds_import import categories
from resdir.interop.hsds_import.clean import Cleaner, ids, unique
from resdir.interop.hsds_import.plan import Plan, TaxPlan, TermPlan, limit
from resdir.interop.hsds_import.tables import Dataset, Rec

NAME_LIMIT = limit(m.TaxonomyTerm, "name")
CODE_LIMIT = limit(m.TaxonomyTerm, "code")


def attach(plan: Plan, dataset: Dataset, clean: Cleaner) -> None:
    report = clean.report
    given = {r.get("id"): r for r in unique(dataset.rows("taxonomy"), report) if r.get("id")}
    own = {t: r for t, r in given.items() if t == m.CATEGORY_TAXONOMY_ID
           or r.get("name") in ("resdir categories", *EXTENSION_TAXONOMIES)}
    slugs = category_slugs()
    plan.crosswalk = categories.load()
    for rec in unique(dataset.rows("taxonomy_term"), report):
        if _own_category(rec, given, slugs):
            plan.category_terms[rec.get("id")] = rec.get("code")
        elif not rec.data.get("_extension"):
            _term(plan, rec, given, clean)
    for taxonomy_id, rec in given.items():  # taxonomies without terms in this file too
        if taxonomy_id in own:
            continue
        _taxonomy(plan, Rec("taxonomy_term", rec.file, rec.row, {"taxonomy_id": taxonomy_id}),
                  given, clean)
    _parents(plan, clean)
    for rec in unique(dataset.rows("attribute"), report):
        if not rec.data.get("_extension"):
            _attribute(plan, rec, clean)
    for key, service in plan.services.items():
        found = list(service.categories)  # given as resdir categories
        for term_id in [t for t, _value in service.term_ids] + plan.coded.get(key, []):
            slug = category_for(plan, term_id)
            if slug and slug not in found:
                found.append(slug)
        service.categories = found
        service.category_source = "taxonomy" if found else None


def _own_category(rec: Rec, given: dict[str, Rec], slugs: set[str]) -> bool:
    """A term of resdir's own category taxonomy (a file resdir exported): used as the
    category itself, not imported as a term of another taxonomy."""
    taxonomy_id = rec.get("taxonomy_id")
    name = rec.get("taxonomy") or (given[taxonomy_id].get("name") if taxonomy_id in given
                                   else "")
    return rec.get("code") in slugs and (taxonomy_id == m.CATEGORY_TAXONOMY_ID
                                         or name == "resdir categories")


def _taxonomy(plan: Plan, rec: Rec, given: dict[str, Rec], clean: Cleaner) -> str:
    """The key of the taxonomy a term belongs to, creating its plan on first use."""
    taxonomy_id, name = rec.get("taxonomy_id"), rec.get("taxonomy")
    if taxonomy_id and taxonomy_id in given:
        key, source = f"id:{taxonomy_id}", given[taxonomy_id]
        values = dict(name=clean.text(source, "name", 200) or name or "Taxonomy",
                      description=clean.text(source, "description"),
                      uri=clean.text(source, "uri", 500), version=source.get("version")[:40]
                      or None)
    else:
        if taxonomy_id:
            clean.repaired(rec, "taxonomy_id", f"{taxonomy_id!r} is not a taxonomy here; the "
                           f"term goes into {name or 'the source' + chr(39) + 's terms'!r}")
        key = f"name:{name}" if name else "terms"
        values = dict(name=(name or f"{plan.source} terms")[:200], description=None, uri=None,
                      version=None)
    if key not in plan.taxonomies:
        plan.taxonomies[key] = TaxPlan(key, values)
    return key


def _term(plan: Plan, rec: Rec, given: dict[str, Rec], clean: Cleaner) -> None:
    key, name = rec.get("id") or rec.get("code"), clean.text(rec, "name", NAME_LIMIT)
    if not key or not name:
        clean.skipped(rec, "name" if key else "id", "is required; taxonomy term skipped")
        return
    taxonomy = _taxonomy(plan, rec, given, clean)
    plan.terms[key] = TermPlan(rec, taxonomy, dict(
        code=(rec.get("code") or key)[:CODE_LIMIT], name=name,
        description=clean.text(rec, "description"), term_uri=clean.text(rec, "term_uri", 500),
    ), parent_id=rec.get("parent_id") or None)


def _parents(plan: Plan, clean: Cleaner) -> None:
    by_name: dict[str, list] = {}
    for key, term in plan.terms.items():
        parent = term.parent_id
        if parent is None:
            other = term.rec.get("parent_name")
            if other in plan.terms and other != key:  # ORServices: the parent's record id
                term.parent_id = other
                by_name.setdefault(term.rec.file, []).append(term.rec.row)
            continue
        if parent not in plan.terms or parent == key:
            clean.repaired(term.rec, "parent_id", f"{parent!r} is not a term here; the term "
                                                  "is kept at the top level")
            term.parent_id = None
    for file, rows in by_name.items():
        clean.report.repaired(file, rows[0], "parent_name", f"holds the parent's id, not its "
                              f"name ({len(rows)} rows); used as parent_id")
    codes: dict[tuple, str] = {}
    for key, term in plan.terms.items():  # (taxonomy, code) must be unique in resdir
        seen = codes.setdefault((term.taxonomy, term.values["code"]), key)
        if seen != key:
            clean.repaired(term.rec, "code", f"{term.values['code']!r} is also the code of "
                                             f"term {seen!r}; this term keeps its id as code")
            term.values["code"] = key[:CODE_LIMIT]


def _attribute(plan: Plan, rec: Rec, clean: Cleaner) -> None:
    term_id = rec.get("taxonomy_term_id")
    if term_id in plan.category_terms:
        for service_id in ids(rec, "link_id", clean):
            service = plan.services.get(service_id)
            slug = plan.category_terms[term_id]
            if service is not None and slug not in service.categories:
                service.categories.append(slug)
                service.category_types[slug] = rec.get("link_type") or None
        return
    if term_id not in plan.terms:
        if term_id and plan.crosswalk.code_only(term_id)[0]:  # a known code without its record
            for service_id in ids(rec, "link_id", clean):
                if service_id in plan.services:
                    plan.coded.setdefault(service_id, []).append(term_id)
            return
        clean.skipped(rec, "taxonomy_term_id", f"{term_id!r} is not a taxonomy term here"
                      if term_id else "is blank")
        return
    entity = rec.get("link_entity").lower()
    if entity in ("organization", "location"):
        clean.skipped(rec, "link_entity", f"attributes of a {entity} are not stored")
        return
    for service_id in ids(rec, "link_id", clean):
        service = plan.services.get(service_id)
        if service is None:
            clean.skipped(rec, "link_id", f"{service_id!r} was not imported (missing or "
                                          "skipped)")
            continue
        if entity != "service":
            clean.repaired(rec, "link_entity", f"{entity or 'blank'!r}; the link_id is a "
                                               "program, read as 'service'")
        pair = (term_id, clean.text(rec, "value"))
        if pair not in service.term_ids:
            service.term_ids.append(pair)


def category_for(plan: Plan, term_id: str) -> str | None:
    """resdir category of a term: its own code and name, then its ancestors' (see
    resdir/categorize/crosswalk.py); a term id the file has no record of by its code."""
    walk = plan.crosswalk
    term = plan.terms.get(term_id)
    if term is None:
        return walk.code_only(term_id)[1] if term_id else None
    if categories.situational(plan.taxonomies[term.taxonomy].values["name"]):
        return None
    seen: set[str] = set()
    node: TermPlan | None = term
    while node is not None and node.rec.get("id") not in seen:
        seen.add(node.rec.get("id"))
        matched, slug = walk.term(node.values["name"], node.values["code"])
        if matched:
            return slug
        node = plan.terms.get(node.parent_id) if node.parent_id else None
    return walk.code_ancestors(term.values["code"])[1]
