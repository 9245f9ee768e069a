"""Parameters and filters of the HSDS read API (resdir.interop.hsds_api).

A bad parameter raises BadParameter naming it (a 400). Filters are SQLAlchemy conditions on
Service, combined with AND; `search` runs the directory's full-text index and keeps its rank.
"""

from __future__ import annotations

import math
from datetime import datetime

from flask import current_app, request
from sqlalchemy import String, and_, func, or_, select

from resdir import params
from resdir.basics import aware
from resdir.directory import indexing
from resdir.directory import models as m
from resdir.errors import BadParameter
from resdir.extensions import db
from resdir.geo import UnknownZip, lookup_zip
from resdir.interop.hsds_extensions import EXTENSION_TAXONOMIES, TERM_CODES, stable_id
from resdir.search import SearchRequest

METRES_PER_MILE = 1609.344
E = m.Eligibility
# `search` answers with at most this many of the best matches (then filtered and paged), as
# web search engines do: reading every match of a common word cost seconds at 100,000.
SEARCH_LIMIT = 1000


def _has(column):
    if isinstance(column.type, String):
        return m.Service.eligibility.has(and_(column.is_not(None), column != ""))
    return m.Service.eligibility.has(column.is_not(None))  # "" is no integer (PostgreSQL)


# Which services carry each service-level extension term (the others link locations,
# schedules and service areas, never the service itself).
SERVICE_TERMS = {
    **{f"resdir-eligibility:{c.key}": _has(c) for c in (
        E.income_limit_fpl, E.household_size_min, E.household_size_max, E.gender)},
    **{f"resdir-eligibility:{c.key}": m.Service.eligibility.has(c.is_(True)) for c in (
        E.veteran_required, E.pregnancy_required, E.disability_required, E.residency_required)},
    "resdir-eligibility:insurance": _has(E.insurance),
    "resdir-eligibility:language": _has(E.languages),
    **{f"resdir-capacity:{c.key.removeprefix('capacity_')}": c.is_not(None) for c in (
        m.Service.capacity_status, m.Service.capacity_available, m.Service.capacity_maximum,
        m.Service.capacity_updated)},
}
TAXONOMY_IDS = {stable_id("taxonomy", name): name for name in EXTENSION_TAXONOMIES}


def text_arg(name: str) -> str | None:
    return params.text(request.args, name)


def int_arg(name: str, low: int, high: int) -> int | None:
    return params.integer(request.args, name, low, high)


def bool_arg(name: str) -> bool:
    return params.flag(request.args, name)


def modified_after():
    text = text_arg("modified_after")
    if text is None:
        return None
    text = text.replace("Z", "+00:00").replace("z", "+00:00")
    # An unencoded "+01:00" arrives as " 01:00": put the plus back.
    candidates = (text, text[:19] + text[19:].replace(" ", "+"))
    moment = next((x for x in map(_iso, candidates) if x is not None), None)
    if moment is None:
        raise BadParameter("modified_after must be an ISO 8601 date or date-time, like "
                           "2026-01-31T12:00:00Z.", "modified_after")
    # SQLite keeps naive UTC times; PostgreSQL compares aware ones.
    return moment.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else moment


def _iso(text: str) -> datetime | None:
    """The moment in UTC, or None: not ISO 8601, or beyond the years 1..9999 in UTC."""
    try:
        return aware(datetime.fromisoformat(text))
    except (ValueError, OverflowError):
        return None


def paging() -> tuple[int, int]:
    if (text_arg("format") or "json").lower() != "json":
        raise BadParameter("format: only json is offered.", "format")
    cfg = current_app.config
    per_page = int_arg("per_page", 1, cfg["RESDIR_MAX_PER_PAGE"]) or cfg["RESDIR_PER_PAGE"]
    return int_arg("page", 1, 1_000_000) or 1, per_page


def envelope(total: int, page: int, per_page: int, contents: list) -> dict:
    pages = math.ceil(total / per_page)
    return {"total_items": total, "total_pages": pages, "page_number": page,
            "size": len(contents), "first_page": page == 1, "last_page": page >= pages,
            "empty": total == 0, "contents": contents}


def page_of(items: list, page: int, per_page: int) -> list:
    return items[(page - 1) * per_page: page * per_page]


def service_conditions() -> list:
    out = []
    if (org := text_arg("organization_id")) is not None:
        out.append(m.Service.organization_id == org)
    if (term := text_arg("taxonomy_term_id")) is not None:
        out.append(with_terms(m.Attribute.taxonomy_term_id == term, [TERM_CODES.get(term)]))
    if (taxonomy := text_arg("taxonomy_id")) is not None:
        name = TAXONOMY_IDS.get(taxonomy, "\x00")
        out.append(with_terms(m.TaxonomyTerm.taxonomy_id == taxonomy,
                               [c for c in SERVICE_TERMS if c.startswith(name + ":")]))
    if (after := modified_after()) is not None:
        out.append(m.Service.last_modified >= after)
    return out


def with_terms(condition, codes: list) -> object:
    """Services linked (as a service) to a stored term matching `condition`, or carrying one
    of resdir's extension terms `codes`."""
    linked = (select(m.Attribute.link_id)
              .join(m.TaxonomyTerm, m.TaxonomyTerm.id == m.Attribute.taxonomy_term_id)
              .where(m.Attribute.link_entity == "service", condition))
    extensions = [SERVICE_TERMS[c] for c in codes if c in SERVICE_TERMS]
    return or_(m.Service.id.in_(linked), *extensions) if extensions else (
        m.Service.id.in_(linked))


def ranked_service_ids(conditions: list) -> list[str] | None:
    """Service ids matching `search` (in rank order) and the filters; None without search."""
    words = text_arg("search")
    if words is None:
        return None
    found = indexing.search_index().search(SearchRequest(text=words, statuses=[],
                                                         per_page=SEARCH_LIMIT))
    ids = [h.id for h in found.hits]
    if not conditions:
        return ids
    allowed = set(db.session.scalars(select(m.Service.id).where(m.Service.id.in_(ids),
                                                                *conditions)))
    return [i for i in ids if i in allowed]


def near() -> tuple[object, float | None] | None:
    """The postcode's place and the proximity in miles (None: no distance limit)."""
    postcode, metres = text_arg("postcode"), text_arg("proximity")
    if postcode is None:
        if metres is not None:
            raise BadParameter("proximity needs a postcode: it is metres from the postcode's "
                               "centre.", "proximity")
        return None
    try:
        place = lookup_zip(postcode)
    except UnknownZip as exc:
        raise BadParameter(f"postcode: {exc}.", "postcode") from None
    if metres is None:
        return place, None
    limit = current_app.config["RESDIR_MAX_RADIUS_MI"] * METRES_PER_MILE
    try:
        value = float(metres)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= limit):
        raise BadParameter(f"proximity must be a distance in metres, more than 0 and at most "
                           f"{limit:.0f}.", "proximity")
    return place, value / METRES_PER_MILE


def like(*columns):
    words = text_arg("search")
    if words is None:
        return []
    pattern = "%" + words.lower().replace("\\", "\\\\").replace("%", "\\%").replace(
        "_", "\\_") + "%"
    return [or_(*(func.lower(c).like(pattern, escape="\\") for c in columns))]
