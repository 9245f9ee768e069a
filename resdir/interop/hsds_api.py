"""The HSDS 3.0 read API under /hsds/: public, no login, JSON only.

Follows the spec's `openapi.json`: `/`, `/services`, `/services/{id}`, `/organizations`,
`/organizations/{id}`, `/service_at_locations` (with `postcode` and `proximity`, in metres
from the postcode's centre, as the spec says), `/taxonomies`, `/taxonomy_terms` (and their
`/{id}`), in the paged envelope. Filters combine with AND; a bad parameter is a 400 that
names it. `search` is the directory's full-text search (the Whoosh index), ranked.
Confidential locations appear without address or coordinates, and proximity measures them
from their ZIP's centre only, so that distances never give their place away.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from resdir.directory import models as m
from resdir.errors import NotFound
from resdir.extensions import db
from resdir.interop import hsds_export as hx
from resdir.interop import hsds_places
from resdir.interop import hsds_query as hq
from resdir.interop.hsds_export_context import Context
from resdir.interop.hsds_extensions import (
    EXTENSION_TAXONOMIES,
    EXTENSION_TERMS,
    extension_taxonomy,
    extension_term,
    when,
)

bp = Blueprint("hsds_api", __name__, url_prefix="/hsds")
HSDS_VERSION = "3.0.0"
PROFILE = "https://docs.openreferral.org/en/v3.0/"


# -- services --------------------------------------------------------------------------------


def _services(ids: list[str], full: bool) -> list[dict]:
    options = hx.FULL_LOAD if full else (selectinload(m.Service.organization),)
    rows = {s.id: s for s in db.session.scalars(
        select(m.Service).where(m.Service.id.in_(ids)).options(*options))}
    services = [rows[i] for i in ids if i in rows]
    ctx = Context(services)
    return [hx.service_obj(s, ctx, full=full) for s in services]


@bp.get("/")
def about():
    return jsonify({"version": HSDS_VERSION, "profile": PROFILE,
                    "openapi_url": url_for("openapi.document", _external=True)})


@bp.get("/services")
def services():
    page, per_page = hq.paging()
    full, minimal = hq.bool_arg("full"), hq.bool_arg("minimal")
    conditions = hq.service_conditions()
    ranked = hq.ranked_service_ids(conditions)
    if ranked is None:
        query = select(m.Service.id).where(*conditions)
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
        ids = list(db.session.scalars(query.order_by(m.Service.name, m.Service.id)
                                      .offset((page - 1) * per_page).limit(per_page)))
    else:
        total, ids = len(ranked), hq.page_of(ranked, page, per_page)
    if minimal:
        rows = dict(db.session.execute(select(m.Service.id, m.Service.last_modified)
                                       .where(m.Service.id.in_(ids))).all())
        contents = [{"id": i, "last_modified": when(rows[i])} for i in ids if i in rows]
    else:
        contents = _services(ids, full)
    return jsonify(hq.envelope(total, page, per_page, contents))


@bp.get("/services/<service_id>")
def service(service_id: str):
    found = _services([service_id], full=True)
    if not found:
        raise NotFound("No service has this id.")
    return jsonify(found[0])


# -- service at locations ----------------------------------------------------------------


@bp.get("/service_at_locations")
def service_at_locations():
    page, per_page = hq.paging()
    full, near = hq.bool_arg("full"), hq.near()
    conditions = hq.service_conditions()
    ranked = hq.ranked_service_ids(conditions)
    place, miles = near if near is not None else (None, None)
    serving = (hsds_places.served(place) if ranked is None and place is not None
               and miles is None else None)
    if ranked is None and (place is None or serving is not None):
        query = (select(m.ServiceAtLocation.id).join(m.Service).join(m.Location)
                 .where(*conditions, *([] if serving is None else [serving])))
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
        ids = list(db.session.scalars(
            query.order_by(m.Service.name, m.Service.id, m.Location.name, m.ServiceAtLocation.id)
            .offset((page - 1) * per_page).limit(per_page)))
    elif ranked is None and miles is not None:
        total, ids = hsds_places.nearest_page(conditions, place, miles, (page - 1) * per_page,
                                              page * per_page)
    else:
        if ranked is not None:
            conditions = [*conditions, m.Service.id.in_(ranked)]
        found = hsds_places.ordered_ids(conditions, ranked, place, miles)
        total, ids = len(found), hq.page_of(found, page, per_page)
    service_load = hx.FULL_LOAD if full else (selectinload(m.Service.organization),)
    rows = {r.id: r for r in db.session.scalars(
        select(m.ServiceAtLocation).where(m.ServiceAtLocation.id.in_(ids)).options(
            selectinload(m.ServiceAtLocation.location).selectinload(m.Location.addresses),
            selectinload(m.ServiceAtLocation.service).options(*service_load)))}
    return jsonify(hq.envelope(total, page, per_page, _sals([rows[i] for i in ids], full)))


def _sals(rows: list[m.ServiceAtLocation], full: bool) -> list[dict]:
    ctx = Context([r.service for r in rows])
    return [hx.sal_obj(r, ctx, full=full) for r in rows]


@bp.get("/service_at_locations/<sal_id>")
def service_at_location(sal_id: str):
    row = db.session.get(m.ServiceAtLocation, sal_id)
    if row is None:
        raise NotFound("No service_at_location has this id.")
    return jsonify(_sals([row], full=True)[0])


# -- organizations -----------------------------------------------------------------------


def _organizations(orgs: list[m.Organization], full: bool, full_service: bool) -> list[dict]:
    """Organizations (one-to-one fields), or with their locations and services when full."""
    ctx = Context(organization_ids=[o.id for o in orgs],
                     location_ids=[loc.id for o in orgs for loc in o.locations] if full else ())
    if not (full or full_service):
        return [hx.organization_obj(o, ctx) for o in orgs]
    services: dict[str, list[dict]] = {}
    for obj in _services(sorted(s.id for o in orgs for s in o.services), full_service):
        services.setdefault(obj["organization_id"], []).append(obj)
    return [hx.organization_obj(o, ctx) | {
        "locations": [hx.location_obj(loc, ctx) for loc in o.locations],
        "services": services.get(o.id, [])} for o in orgs]


@bp.get("/organizations")
def organizations():
    page, per_page = hq.paging()
    full, full_service = hq.bool_arg("full"), hq.bool_arg("full_service")
    query = select(m.Organization).where(*hq.like(
        m.Organization.name, m.Organization.alternate_name, m.Organization.description))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    orgs = db.session.scalars(query.order_by(m.Organization.name, m.Organization.id)
                              .offset((page - 1) * per_page).limit(per_page)
                              .options(selectinload(m.Organization.locations)
                                       .selectinload(m.Location.addresses),
                                       selectinload(m.Organization.services))).all()
    return jsonify(hq.envelope(total, page, per_page,
                               _organizations(list(orgs), full, full_service)))


@bp.get("/organizations/<organization_id>")
def organization(organization_id: str):
    org = db.session.get(m.Organization, organization_id)
    if org is None:
        raise NotFound("No organization has this id.")
    return jsonify(_organizations([org], True, hq.bool_arg("full_service"))[0])


# -- taxonomies ----------------------------------------------------------------------------


def _taxonomies() -> list[dict]:
    stored = [hx.taxonomy_obj(t) for t in db.session.scalars(select(m.Taxonomy))]
    extra = [extension_taxonomy(n) for n in EXTENSION_TAXONOMIES]
    return list({t["id"]: t for t in extra + stored}.values())


def _terms() -> list[dict]:
    taxonomies = {t.id: t for t in db.session.scalars(select(m.Taxonomy))}
    stored = [hx.term_obj(t, taxonomies) for t in db.session.scalars(select(m.TaxonomyTerm))]
    extra = [extension_term(c) for c in EXTENSION_TERMS]
    return list({t["id"]: t for t in extra + stored}.values())


def _listing(items: list[dict], *keep) -> dict:
    page, per_page = hq.paging()
    words = (hq.text_arg("search") or "").casefold()
    found = sorted((i for i in items if all(k(i) for k in keep) and (not words or any(
        words in (i.get(f) or "").casefold() for f in ("name", "code", "description")))),
        key=lambda i: (i.get("taxonomy") or "", i["name"], i["id"]))
    return hq.envelope(len(found), page, per_page, hq.page_of(found, page, per_page))


@bp.get("/taxonomies")
def taxonomies():
    return jsonify(_listing(_taxonomies()))


@bp.get("/taxonomies/<taxonomy_id>")
def taxonomy(taxonomy_id: str):
    return jsonify(_one(_taxonomies(), taxonomy_id, "taxonomy"))


@bp.get("/taxonomy_terms")
def taxonomy_terms():
    taxonomy_id, parent = hq.text_arg("taxonomy_id"), hq.text_arg("parent_id")
    top = hq.bool_arg("top_only")
    return jsonify(_listing(
        _terms(), lambda t: taxonomy_id is None or t.get("taxonomy_id") == taxonomy_id,
        lambda t: parent is None or t.get("parent_id") == parent,
        lambda t: not top or "parent_id" not in t))


@bp.get("/taxonomy_terms/<term_id>")
def taxonomy_term(term_id: str):
    return jsonify(_one(_terms(), term_id, "taxonomy term"))


def _one(items: list[dict], id_: str, kind: str) -> dict:
    found = next((i for i in items if i["id"] == id_), None)
    if found is None:
        raise NotFound(f"No {kind} has this id.")
    return found

