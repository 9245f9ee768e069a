"""The details of locations and programs: addresses, phones, hours, languages, service
areas, required documents, costs and HSDS 1.x eligibility.

What a source gives for a location (its phones, hours, languages) also describes the
programs held there: a program without its own phones or hours gets its locations'; a
program without any phone gets its organization's.
"""

from __future__ import annotations

import json
from datetime import date

from resdir.directory import models as m
from resdir.geo import normalize_zip
from resdir.interop.hsds_import import extensions, language_cells, schedules
from resdir.interop.hsds_import.clean import Cleaner, ids, unique
from resdir.interop.hsds_import.plan import ADDR_LIMITS, Plan, SvcPlan, limit
from resdir.interop.hsds_import.store import SOURCE_ID
from resdir.interop.hsds_import.tables import Dataset, Rec

_COUNTRIES = {"us", "usa", "u.s.", "u.s.a.", "united states", "united states of america"}


def attach(plan: Plan, dataset: Dataset, clean: Cleaner) -> None:
    report = clean.report
    today = date.today()
    for rec in unique(dataset.rows("address"), report):
        address = _address(rec, clean)
        for loc_id in _targets(rec, "location_id", plan.locations, clean) if address else []:
            plan.locations[loc_id].addresses.append({**address, SOURCE_ID: rec.get("id")})
    for rec in unique(dataset.rows("phone"), report, details=True):
        phone = _phone(rec, clean)
        if phone:
            _place(plan, rec, clean, "phones", [phone], org_level=True)
    for rec in unique(dataset.rows("schedule"), report, details=True):
        if _linked(plan, rec, clean):
            found = schedules.rows(rec, clean, today,
                                   extensions.closed(plan.extensions, rec))
            if found:
                _place(plan, rec, clean, "schedules", found)
    for rec in unique(dataset.rows("language"), report, details=True):
        found = language_cells.read(rec, clean, plan)
        if found:
            _place(plan, rec, clean, "languages", found)
    _program_details(plan, dataset, clean)
    _inherit(plan)


def _program_details(plan: Plan, dataset: Dataset, clean: Cleaner) -> None:
    """Rows that belong to programs only: areas, documents, costs, eligibility."""
    report = clean.report
    for rec in unique(dataset.rows("service_area"), report):
        for service_id in _targets(rec, "service_id", plan.services, clean):
            service = plan.services[service_id]
            typed = extensions.service_area(plan.extensions, rec)
            service.areas.extend(_typed_area(rec, clean, typed) if typed.get("kind") else
                                 _areas(rec, clean, _state_of(plan, service)))
    for rec in unique(dataset.rows("required_document"), report):
        document = clean.text(rec, "document")
        if not document:
            clean.skipped(rec, "document", "is blank")
            continue
        for service_id in _targets(rec, "service_id", plan.services, clean):
            plan.services[service_id].documents.append(document)
    for rec in unique(dataset.rows("cost_option"), report):
        cost = dict(option=clean.text(rec, "option"), amount=clean.number(rec, "amount"),
                    currency=(rec.get("currency").upper()[:3] or None),
                    amount_description=clean.text(rec, "amount_description"))
        for service_id in _targets(rec, "service_id", plan.services, clean):
            plan.services[service_id].costs.append(cost)
    for rec in unique(dataset.rows("eligibility"), report):
        for service_id in _targets(rec, "service_id", plan.services, clean):
            _eligibility(plan.services[service_id], rec, clean)


def _targets(rec: Rec, name: str, known: dict, clean: Cleaner) -> list[str]:
    found = ids(rec, name, clean)
    if not found:
        clean.skipped(rec, name, "is blank; the row belongs to nothing")
    for key in found:
        if key not in known:
            clean.skipped(rec, name, f"{key!r} was not imported (missing or skipped)")
    return [k for k in found if k in known]


def _linked(plan: Plan, rec: Rec, clean: Cleaner) -> bool:
    """Whether a row names something it can belong to (checked before reading it)."""
    if any(rec.get(n) for n in ("service_id", "location_id", "service_at_location_id")):
        return True
    clean.skipped(rec, "service_id", "names no program or location; row skipped")
    return False


def _place(plan: Plan, rec: Rec, clean: Cleaner, attr: str, items: list[dict],
           org_level: bool = False) -> None:
    """Put phones, hours rows or languages on the programs or locations the row names."""
    services = ids(rec, "service_id", clean)
    locations = ids(rec, "location_id", clean)
    link = plan.links.get(rec.get("service_at_location_id"))
    if link and not services:
        services, locations = [link[0]], [link[1]]
    placed = False
    items = [{**item, SOURCE_ID: rec.get("id")} for item in items]
    for key in services:
        if key in plan.services:
            for loc in [i for i in locations if i in plan.locations] or [None]:
                getattr(plan.services[key], attr).extend(
                    {**item, "location_id": loc} for item in items)
            placed = True
    if not services:
        for key in locations:
            if key in plan.locations:
                getattr(plan.locations[key], attr).extend(
                    {**item, "location_id": key} for item in items)
                placed = True
    if not services and not locations and org_level:
        contact = plan.contacts.get(rec.get("contact_id"))
        key = rec.get("organization_id")
        if contact is not None:
            contact.phones.extend(items)
            placed = True
        elif key in plan.orgs:
            plan.org_phones.setdefault(key, []).extend(items)
            placed = True
    if not placed:
        names = [(n, rec.get(n)) for n in ("service_id", "location_id", "service_at_location_id",
                                           "organization_id") if rec.get(n)]
        name, value = names[0] if names else ("service_id", "")
        if not names and rec.get("contact_id"):
            clean.skipped(rec, "contact_id", f"{rec.get('contact_id')!r} was not imported "
                                             "(missing or skipped)")
        else:
            clean.skipped(rec, name, f"{value!r} was not imported (missing or skipped)" if value
                          else "names no program, location or organization; row skipped")


def _inherit(plan: Plan) -> None:
    for service in plan.services.values():
        locations = [plan.locations[i] for i in service.location_ids]
        if not service.phones:
            service.phones = [p for loc in locations for p in loc.phones]
        if not service.phones and service.org_id in plan.org_phones:
            service.phones = [dict(p, location_id=None) for p in plan.org_phones[service.org_id]]
        if not any(not s["closed"] for s in service.schedules):
            service.schedules += [s for loc in locations for s in loc.schedules]
        codes = {lang["code"] for lang in service.languages}
        for loc in locations:
            for lang in loc.languages:
                if lang["code"] not in codes:
                    codes.add(lang["code"])
                    service.languages.append(lang)


def _address(rec: Rec, clean: Cleaner) -> dict | None:
    lim = ADDR_LIMITS
    extra = [rec.get(n) for n in ("address_2", "address_3", "address_4") if rec.get(n)]
    address = dict(
        attention=clean.text(rec, "attention", lim["attention"]),
        address_1=clean.text(rec, "address_1", lim["address_1"]) or "",
        address_2=clean.text(rec, "address_2", lim["address_2"], ", ".join(extra) or None)
        if extra else None,
        city=clean.text(rec, "city", lim["city"]) or "",
        region=clean.text(rec, "region", lim["region"]),
        state_province=clean.state(rec, "state_province"),
        postal_code=clean.zip_code(rec, "postal_code", lim["postal_code"]),
        country=_country(rec, clean),
        address_type=(rec.get("address_type").lower() or "physical")[:20],
    )
    if not (address["address_1"] or address["city"] or address["postal_code"]):
        clean.skipped(rec, "address_1", "the address is empty")
        return None
    return address


def _country(rec: Rec, clean: Cleaner) -> str:
    raw = rec.get("country")
    if not raw or raw.lower() in _COUNTRIES:
        return "US"
    if len(raw) == 2 and raw.isalpha():
        return raw.upper()
    clean.repaired(rec, "country", f"{raw!r} is not a two-letter country code; set to 'US'")
    return "US"


def _phone(rec: Rec, clean: Cleaner) -> dict | None:
    number = clean.text(rec, "number", limit(m.Phone, "number"))
    if not number:
        clean.skipped(rec, "number", "is blank; phone skipped")
        return None
    return dict(number=number, extension=rec.get("extension")[:20] or None,
                type=rec.get("type").lower()[:20] or None,
                description=clean.text(rec, "description"))


def _state_of(plan: Plan, service: SvcPlan) -> str | None:
    for loc_id in service.location_ids:
        for address in plan.locations[loc_id].addresses:
            if len(address["state_province"]) == 2:
                return address["state_province"]
    return None


def _areas(rec: Rec, clean: Cleaner, state: str | None) -> list[dict]:
    name = clean.text(rec, "name", 300) or clean.text(rec, "service_area", 300)
    description = clean.text(rec, "description")
    extent, kind = rec.get("extent"), rec.get("extent_type").lower()
    if extent:
        if kind in ("geojson", "") and _polygon(extent):
            return [dict(kind="polygon", extent=extent, extent_type="geojson", name=name,
                         description=description)]
        clean.repaired(rec, "extent", f"not a GeoJSON polygon (extent_type {kind or 'blank'!r});"
                                      " kept the area's name and description only")
    if not name:
        if not description:
            clean.skipped(rec, "name", "the service area is empty")
            return []
        return [dict(kind="text", name=None, description=description, extent=None)]
    parts = [p.strip() for p in name.replace(";", ",").split(",") if p.strip()]
    if parts and all(normalize_zip(p) for p in parts):
        return [dict(kind="postal_codes", name="ZIP codes served", description=description,
                     extent=";".join(normalize_zip(p) for p in parts))]
    if parts and all(p.lower().endswith(" county") for p in parts):
        return [dict(kind="county", name=p, description=description,
                     extent=f"{p}, {state}" if state else p) for p in parts]
    return [dict(kind="text", name=name, description=description, extent=None)]


def _typed_area(rec: Rec, clean: Cleaner, typed: dict) -> list[dict]:
    """An area exported by resdir, with its kind (and radius and centre) given."""
    return [dict(kind=typed["kind"], name=clean.text(rec, "name", 300),
                 description=clean.text(rec, "description"), extent=rec.get("extent") or None,
                 extent_type=rec.get("extent_type") or "text", radius_mi=typed["radius_mi"],
                 center_latitude=typed["center_latitude"],
                 center_longitude=typed["center_longitude"])]


def _polygon(text: str) -> bool:
    # Only files with polygons load shapely's geometry (start-up time).
    from shapely.geometry import shape  # noqa: PLC0415

    try:
        geometry = shape(json.loads(text))
    except (ValueError, TypeError, KeyError, AttributeError, IndexError):
        return False
    return geometry.geom_type in ("Polygon", "MultiPolygon") and geometry.is_valid


def _eligibility(service: SvcPlan, rec: Rec, clean: Cleaner) -> None:
    """HSDS 1.x `eligibility` (adult, child, teen, family, female, male, ...): `female` and
    `male` set the structured gender rule; every value is kept in the description."""
    word = clean.text(rec, "eligibility")
    if not word:
        clean.skipped(rec, "eligibility", "is blank")
        return
    genders = service.eligibility.setdefault("genders", set())
    if word.lower() in ("female", "male"):
        genders.add(word.lower())
    text = service.values.get("eligibility_description")
    addition = f"Eligibility: {word}"
    if not text or addition not in text:
        service.values["eligibility_description"] = f"{text}\n{addition}" if text else addition
