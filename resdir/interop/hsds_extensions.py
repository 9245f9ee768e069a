"""resdir's HSDS extension vocabulary: what HSDS 3.0 has no field for, as `attribute`s.

Structured eligibility, capacity, confidential locations and their time zone, dated closures
and typed service areas go out as attributes whose taxonomy terms belong to resdir's own
taxonomies (`resdir-eligibility`, `resdir-capacity`, `resdir-location`, `resdir-schedule`,
`resdir-service-area`). A term's code is `<taxonomy>:<field>`; the attribute's `value` is the
field's value as text. Term, taxonomy and attribute ids are UUIDs derived from the codes
(`stable_id`), the same in every export. The exporter writes them (`extension_attribute`); an
importer reads them back with `extension_values` and the `*_fields` functions.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, time

NAMESPACE = uuid.UUID("9f3c2b1e-5a47-4c1d-8e2f-7b6a5d4c3e21")
EXTENSION_TAXONOMIES = {
    "resdir-eligibility": "Structured eligibility rules (HSDS 3.0 has only free text and ages). "
                          "The attribute's value is the rule's value.",
    "resdir-capacity": "Whether a program takes clients now, and how many openings it has.",
    "resdir-location": "Facts about a location that HSDS 3.0 has no field for.",
    "resdir-schedule": "Marks a schedule that is a dated closure (valid_from..valid_to).",
    "resdir-service-area": "How to read a service area: ZIP list, county, radius or polygon.",
}
EXTENSION_TERMS = {
    "resdir-eligibility:income_limit_fpl": "Household income at or below this percent of the "
                                           "federal poverty guideline (value: the percent)",
    "resdir-eligibility:household_size_min": "Households of at least this many people",
    "resdir-eligibility:household_size_max": "Households of at most this many people",
    "resdir-eligibility:veteran_required": "Veterans only (value: true)",
    "resdir-eligibility:insurance": "Accepts this insurance: medicaid, medicare, private or "
                                    "uninsured (one attribute per type)",
    "resdir-eligibility:gender": "Serves only this gender (value: female or male)",
    "resdir-eligibility:pregnancy_required": "Pregnant people only (value: true)",
    "resdir-eligibility:disability_required": "People with a disability only (value: true)",
    "resdir-eligibility:language": "The client must speak this language (ISO 639-1; one "
                                   "attribute per language)",
    "resdir-eligibility:residency_required": "Only residents of the service areas (value: true)",
    "resdir-capacity:status": "Capacity: capacity, waitlist, no-capacity or "
                              "additional-assessment-required",
    "resdir-capacity:available": "Openings available now (a whole number)",
    "resdir-capacity:maximum": "Openings at most (a whole number)",
    "resdir-capacity:updated": "When the capacity was last set (ISO 8601 date-time)",
    "resdir-location:confidential": "The address is withheld (value: true); e.g. a shelter",
    "resdir-location:timezone": "IANA time zone of the location (value: e.g. America/New_York)",
    "resdir-schedule:closed": "This schedule is a closure, not opening hours (value: true)",
    "resdir-service-area:kind": "postal_codes (extent: ZIPs separated by ;), county (extent: "
                                "Name County, ST), radius, polygon (GeoJSON) or text",
    "resdir-service-area:radius_mi": "Radius of the area in miles (kind radius)",
    "resdir-service-area:center": "Centre of a radius area (value: latitude,longitude)",
}
ELIGIBILITY_FLAGS = ("veteran_required", "pregnancy_required", "disability_required",
                     "residency_required")
ELIGIBILITY_NUMBERS = ("income_limit_fpl", "household_size_min", "household_size_max")


def stable_id(*parts: str) -> str:
    """A UUID that is the same in every export (extension terms, attributes, capacity)."""
    return str(uuid.uuid5(NAMESPACE, "\x1f".join(parts)))


TERM_CODES = {stable_id("term", code): code for code in EXTENSION_TERMS}


def when(value: datetime | None) -> str | None:
    """ISO 8601 in UTC; SQLite gives back naive times, which were written in UTC."""
    if value is None:
        return None
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat().replace("+00:00", "Z")


def text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def extension_taxonomy(name: str) -> dict:
    return {"id": stable_id("taxonomy", name), "name": name,
            "description": EXTENSION_TAXONOMIES[name], "version": "1"}


def extension_term(code: str) -> dict:
    taxonomy = extension_taxonomy(code.split(":", maxsplit=1)[0])
    return {"id": stable_id("term", code), "code": code, "name": code.split(":")[1],
            "description": EXTENSION_TERMS[code], "taxonomy": taxonomy["name"],
            "taxonomy_id": taxonomy["id"], "taxonomy_detail": taxonomy}


def extension_attribute(entity: str, link_id: str, code: str, value) -> dict:
    value = text(value)
    return {"id": stable_id("attribute", entity, link_id, code, value or ""), "link_id": link_id,
            "link_type": code.split(":", maxsplit=1)[0], "link_entity": entity,
            "taxonomy_term_id": stable_id("term", code), "value": value,
            "taxonomy_term": extension_term(code)}


# -- reading them back (for importers) -------------------------------------------------------


def extension_code(attribute: dict) -> str | None:
    """The extension term of an HSDS attribute (JSON object or attributes.csv row), if any."""
    term = attribute.get("taxonomy_term")
    code = term.get("code") if isinstance(term, dict) else None
    return code if code in EXTENSION_TERMS else TERM_CODES.get(attribute.get("taxonomy_term_id"))


def extension_values(attributes: Iterable[dict]) -> dict[str, list[str]]:
    """Code -> values of the extension attributes among `attributes` (others are ignored)."""
    out: dict[str, list[str]] = {}
    for attribute in attributes:
        code = extension_code(attribute)
        if code is not None and attribute.get("value") not in (None, ""):
            out.setdefault(code.split(":")[1], []).append(str(attribute["value"]).strip())
    return out


def _number(values: dict, name: str, kind=int):
    try:
        return kind(values[name][0]) if name in values else None
    except ValueError:
        return None


def service_fields(values: dict[str, list[str]]) -> dict:
    """Service columns and `eligibility` (an Eligibility's columns, or None if no rule)."""
    eligibility = {name: _number(values, name) for name in ELIGIBILITY_NUMBERS}
    eligibility |= {name: values.get(name, [""])[0].lower() == "true"
                    for name in ELIGIBILITY_FLAGS}
    eligibility |= {"gender": values.get("gender", [None])[0],
                    "insurance": ";".join(values.get("insurance", [])) or None,
                    "languages": ";".join(values.get("language", [])) or None}
    updated = values.get("updated", [None])[0]
    try:
        updated = datetime.fromisoformat(updated.replace("Z", "+00:00")) if updated else None
    except ValueError:
        updated = None
    return {"eligibility": eligibility if any(eligibility.values()) else None,
            "capacity_status": values.get("status", [None])[0],
            "capacity_available": _number(values, "available"),
            "capacity_maximum": _number(values, "maximum"), "capacity_updated": updated}


def location_fields(values: dict[str, list[str]]) -> dict:
    return {"confidential": values.get("confidential", [""])[0].lower() == "true",
            "timezone": values.get("timezone", [None])[0]}


def schedule_fields(values: dict[str, list[str]]) -> dict:
    return {"closed": values.get("closed", [""])[0].lower() == "true"}


def service_area_fields(values: dict[str, list[str]]) -> dict:
    lat, _, lon = values.get("center", [""])[0].partition(",")
    try:
        center = (float(lat), float(lon)) if lon else (None, None)
    except ValueError:
        center = (None, None)
    return {"kind": values.get("kind", [None])[0], "radius_mi": _number(values, "radius_mi", float),
            "center_latitude": center[0], "center_longitude": center[1]}
