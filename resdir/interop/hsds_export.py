"""HSDS 3.0 out: full objects (as the spec's `service_full.json`) and the tabular datapackage.

The objects here feed both `resdir export-hsds` and the read API under /hsds/. What HSDS 3.0
cannot say is sent as `attribute`s of resdir's own taxonomies (see hsds_extensions):
structured eligibility, capacity, confidential locations, dated closures, typed service
areas. Capacity also goes out as HSDS 3.1's `capacities` (a list of `service_capacity`, with
a `unit`). A confidential location never carries an address or coordinates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from resdir.directory import models as m
from resdir.directory.documents import LOAD_ALL
from resdir.directory.present import language_name
from resdir.extensions import db
from resdir.interop.hsds_export_context import Context
from resdir.interop.hsds_extensions import (
    EXTENSION_TERMS,
    extension_attribute,
    stable_id,
    text,
    when,
)

FULL_LOAD = (*LOAD_ALL, selectinload(m.Service.eligibility), selectinload(m.Service.phones),
             selectinload(m.Service.service_areas), selectinload(m.Service.required_documents),
             selectinload(m.Service.cost_options))
CAPACITY_UNIT_CODE = "openings"
ROLE_NAMES = {"agency": "agency staff", "admin": "administrator", "coordinator": "coordinator"}
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def clean(obj: dict) -> dict:
    """Without the fields that have no value (None or blank text): HSDS leaves them out."""
    return {k: v for k, v in obj.items() if v is not None and v != ""}


def _email(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if EMAIL_RE.fullmatch(value) else None


def _uri(value: str | None) -> str | None:
    """A web address, or nothing: a bare host name (`www.x.org`) gets `http://`; words and
    other schemes (`javascript:`...) are left out."""
    value = (value or "").strip()
    if not value or any(c.isspace() for c in value):
        return None
    if not re.match(r"^https?://", value, re.IGNORECASE):
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:(?!\d)", value):
            return None
        value = "http://" + value
    return value


# -- taxonomies --------------------------------------------------------------------------


def taxonomy_obj(taxonomy: m.Taxonomy) -> dict:
    return clean({"id": taxonomy.id, "name": taxonomy.name,
                  "description": taxonomy.description or taxonomy.name, "uri": _uri(taxonomy.uri),
                  "version": taxonomy.version})


def term_obj(term: m.TaxonomyTerm, taxonomies: dict[str, m.Taxonomy]) -> dict:
    taxonomy = taxonomies.get(term.taxonomy_id or "")
    return clean({
        "id": term.id, "code": term.code, "name": term.name,
        "description": term.description or term.name, "parent_id": term.parent_id,
        "taxonomy": taxonomy.name if taxonomy else None, "taxonomy_id": term.taxonomy_id,
        "taxonomy_detail": taxonomy_obj(taxonomy) if taxonomy else None,
        "term_uri": _uri(term.term_uri),
    })


# -- objects (what they need beyond their own rows: hsds_export_context.Context) ----------


def _phone(p: m.Phone) -> dict:
    ext = p.extension.strip() if p.extension else ""
    return clean({"id": p.id, "service_id": p.service_id, "organization_id": p.organization_id,
                  "location_id": p.location_id, "contact_id": p.contact_id, "number": p.number,
                  "extension": int(ext) if ext.isdigit() else None, "type": p.type,
                  "description": p.description, "languages": []})


def _language(lang: m.Language) -> dict:
    return clean({"id": lang.id, "service_id": lang.service_id, "location_id": lang.location_id,
                  "name": lang.name or language_name(lang.code), "code": lang.code,
                  "note": lang.note})


def organization_obj(org: m.Organization, ctx: Context) -> dict:
    return clean({
        "id": org.id, "name": org.name, "alternate_name": org.alternate_name,
        "description": org.description or org.name, "email": _email(org.email),
        "website": _uri(org.website),
        "phones": [_phone(p) for p in ctx.org_phones.get(org.id, [])],
        "contacts": [_contact(c) for c in ctx.contacts.get(("organization", org.id), [])],
    })


def _contact(c: m.Contact) -> dict:
    return clean({"id": c.id, "organization_id": c.organization_id, "service_id": c.service_id,
                  "location_id": c.location_id, "name": c.name, "title": c.title,
                  "department": c.department, "email": _email(c.email),
                  "phones": [_phone(p) for p in c.phones]})


def location_obj(loc: m.Location, ctx: Context, *, full: bool = True) -> dict:
    """A location; confidential: no address, no coordinates. Addresses missing a field HSDS
    requires (street, city, state, postal code) are left out too."""
    hidden = loc.confidential
    obj = clean({
        "id": loc.id, "location_type": loc.location_type or "physical",
        "organization_id": loc.organization_id, "name": loc.name, "description": loc.description,
        "latitude": None if hidden else loc.latitude,
        "longitude": None if hidden else loc.longitude,
    })
    if not full:
        return obj
    attributes = [extension_attribute("location", loc.id, f"resdir-location:{name}", value)
                  for name, value in (("confidential", "true" if hidden else None),
                                      ("timezone", loc.timezone)) if value]
    return obj | {
        "addresses": [] if hidden else [clean({
            "id": a.id, "location_id": loc.id, "attention": a.attention,
            "address_1": a.address_1, "address_2": a.address_2, "city": a.city,
            "region": a.region, "state_province": a.state_province,
            "postal_code": a.postal_code, "country": a.country or "US",
            "address_type": a.address_type or "physical"}) for a in loc.addresses
            if all((a.address_1, a.city, a.state_province, a.postal_code))],  # HSDS requires
        "phones": [_phone(p) for p in ctx.loc_phones.get(loc.id, [])],
        "languages": [_language(lang) for lang in ctx.loc_languages.get(loc.id, [])],
        "contacts": [_contact(c) for c in ctx.contacts.get(("location", loc.id), [])],
        "attributes": attributes,
    }


def _schedule(s: m.Schedule) -> dict:
    closed = [extension_attribute("schedule", s.id, "resdir-schedule:closed", "true")
              ] if s.closed else []
    return clean({
        "id": s.id, "service_id": s.service_id, "location_id": s.location_id,
        "freq": s.freq if s.freq in ("WEEKLY", "MONTHLY") else None, "byday": s.byday,
        "opens_at": text(s.opens_at), "closes_at": text(s.closes_at),
        "valid_from": text(s.valid_from), "valid_to": text(s.valid_to),
        "description": s.description, "attributes": closed,
    })


def _service_area(a: m.ServiceArea) -> dict:
    ext = [("resdir-service-area:kind", a.kind), ("resdir-service-area:radius_mi", a.radius_mi)]
    if a.center_latitude is not None and a.center_longitude is not None:
        ext.append(("resdir-service-area:center", f"{a.center_latitude},{a.center_longitude}"))
    return clean({
        "id": a.id, "service_id": a.service_id, "name": a.name, "description": a.description,
        "extent": a.extent, "extent_type": a.extent_type,
        "attributes": [extension_attribute("service_area", a.id, code, value)
                       for code, value in ext if value is not None],
    })


def service_extensions(s: m.Service) -> list[dict]:
    """Eligibility and capacity as attributes of resdir's extension taxonomies."""
    e = s.eligibility
    pairs: list[tuple[str, object]] = []
    if e is not None:
        pairs += [(f"resdir-eligibility:{name}", getattr(e, name)) for name in
                  ("income_limit_fpl", "household_size_min", "household_size_max", "gender")]
        pairs += [(f"resdir-eligibility:{name}", "true") for name in
                  ("veteran_required", "pregnancy_required", "disability_required",
                   "residency_required") if getattr(e, name)]
        pairs += [("resdir-eligibility:insurance", i) for i in (e.insurance or "").split(";") if i]
        pairs += [("resdir-eligibility:language", c) for c in (e.languages or "").split(";") if c]
    pairs += [("resdir-capacity:status", s.capacity_status),
              ("resdir-capacity:available", s.capacity_available),
              ("resdir-capacity:maximum", s.capacity_maximum),
              ("resdir-capacity:updated", s.capacity_updated)]
    return [extension_attribute("service", s.id, code, value) for code, value in pairs
            if value not in (None, "")]


def capacities(s: m.Service) -> list[dict]:
    """HSDS 3.1 `service_capacity` objects (needs a number available)."""
    if s.capacity_available is None:
        return []
    unit = {"id": stable_id("unit", CAPACITY_UNIT_CODE), "name": "Client openings",
            "scheme": "resdir", "identifier": CAPACITY_UNIT_CODE}
    return [clean({"id": stable_id("capacity", s.id), "service_id": s.id, "unit": unit,
                   "unit_id": unit["id"], "available": s.capacity_available,
                   "maximum": s.capacity_maximum, "description": s.capacity_status,
                   "updated": when(s.capacity_updated or s.last_modified)})]


def service_obj(s: m.Service, ctx: Context, *, full: bool = True) -> dict:
    obj = clean({
        "id": s.id, "organization_id": s.organization_id, "name": s.name,
        "alternate_name": s.alternate_name, "description": s.description, "url": _uri(s.url),
        "email": _email(s.email), "status": s.status,
        "interpretation_services": s.interpretation_services,
        "application_process": s.application_process, "fees_description": s.fees_description,
        "eligibility_description": s.eligibility_description, "minimum_age": s.minimum_age,
        "maximum_age": s.maximum_age, "assured_date": text(s.assured_date),
        "assurer_email": _email(s.assurer_email), "last_modified": when(s.last_modified),
    })
    organization = organization_obj(s.organization, ctx)
    if not full:
        return obj | {"organization": organization}
    attributes = [clean({"id": a.id, "link_id": a.link_id, "link_type": a.link_type,
                         "link_entity": a.link_entity, "taxonomy_term_id": a.taxonomy_term_id,
                         "value": a.value, "taxonomy_term": term_obj(a.taxonomy_term,
                                                                      ctx.taxonomies)})
                  for a in s.attributes if a.taxonomy_term.code not in EXTENSION_TERMS]
    return obj | {
        "organization": organization,
        "service_at_locations": [sal_obj(sal, ctx, with_service=False)
                                 for sal in s.service_at_locations],
        "phones": [_phone(p) for p in s.phones],
        "contacts": [_contact(c) for c in ctx.contacts.get(("service", s.id), [])],
        "schedules": [_schedule(x) for x in s.schedules],
        "service_areas": [_service_area(a) for a in s.service_areas],
        "languages": [_language(lang) for lang in s.languages],
        "cost_options": [clean({"id": c.id, "service_id": s.id, "option": c.option,
                                "currency": c.currency, "amount": c.amount,
                                "amount_description": c.amount_description})
                         for c in s.cost_options],
        "required_documents": [clean({"id": d.id, "service_id": s.id, "document": d.document,
                                      "uri": _uri(d.uri)}) for d in s.required_documents],
        "attributes": attributes + service_extensions(s),
        "metadata": [_metadata(r, ctx) for r in ctx.changes.get(s.id, [])],
        "capacities": capacities(s),
    }


def sal_obj(sal: m.ServiceAtLocation, ctx: Context, *, with_service: bool = True,
            full: bool = True) -> dict:
    obj = clean({"id": sal.id, "service_id": sal.service_id, "location_id": sal.location_id,
                 "description": sal.description,
                 "location": location_obj(sal.location, ctx, full=full)})
    if with_service:
        obj["service"] = service_obj(sal.service, ctx, full=full)
    return obj


def _metadata(record, ctx: Context) -> dict:
    return {"id": stable_id("change", str(record.id)), "resource_id": record.resource_id,
            "resource_type": record.resource_type, "last_action_date": text(
                (record.updated_at or datetime.now(UTC)).date()),
            "last_action_type": "revert" if record.reverts else "update",
            "field_name": record.field_name, "previous_value": record.previous_value or "",
            "replacement_value": record.replacement_value or "",
            "updated_by": ROLE_NAMES.get(ctx.roles.get(record.updated_by), "resdir")}


def iter_services(batch: int = 500) -> Iterator[dict]:
    ids = list(db.session.scalars(select(m.Service.id).order_by(m.Service.id)))
    for start in range(0, len(ids), batch):
        services = db.session.scalars(select(m.Service).where(
            m.Service.id.in_(ids[start:start + batch])).order_by(m.Service.id)
            .options(*FULL_LOAD)).all()
        ctx = Context(services)
        yield from (service_obj(s, ctx) for s in services)
        db.session.expunge_all()
