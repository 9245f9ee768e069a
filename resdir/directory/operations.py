"""Directory business logic: categories, loading the directory CSV, reading programs.

Functions here own their transaction: they commit (through `indexing.commit`, which then
brings the search index up to date) or roll back as a whole.
"""

from __future__ import annotations

import csv
import logging
from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from resdir.basics import ROOT
from resdir.directory import bulk, csvimport, csvload, indexing
from resdir.directory import models as m
from resdir.directory.csvload import ImportSummary
from resdir.directory.documents import LOAD_ALL
from resdir.errors import NotFound
from resdir.extensions import db

log = logging.getLogger(__name__)
CATEGORIES_FILE = ROOT / "data" / "categories.csv"
# Above this many changed programs an import rebuilds the index instead of updating it.
REINDEX_AT = 2000


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


def import_csv(path: str | Path, progress=None) -> ImportSummary:
    """Load a directory CSV; all or nothing. Raises csvcells.CsvImportError.

    The file is checked, then staged with reads only, then written in one short
    transaction (csvload), so other writers wait on SQLite's lock only for that."""
    rows = csvimport.read(path, category_slugs())
    try:
        terms = ensure_categories()
        db.session.commit()  # new categories (first run) on their own, before staging
        staged = csvload.stage(rows, terms, progress)
        csvload.write(staged)
        db.session.commit()
    except Exception:
        db.session.rollback()
        bulk.drop_leftovers()
        raise
    summary = staged.summary
    changed = db.session.info.pop("own_ids", set()) | summary.new_ids | summary.edited_ids
    db.session.info.pop("own_seqs", None)
    if changed and current_app.config["RESDIR_INDEX_SYNC"]:
        try:
            # New programs' log rows were bulk-inserted: applying the log (or rebuilding,
            # for a big import) covers them and moves this node's position past them.
            indexing.reindex() if len(changed) > REINDEX_AT else indexing.apply_pending()
        except Exception:  # committed; the change log keeps what the index lacks
            log.exception("search index update after the import failed")
    log.info(
        "imported %s: %d programs created, %d updated", Path(path).name, summary.created,
        summary.updated,
    )
    return summary


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
