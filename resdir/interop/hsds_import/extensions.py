"""resdir's own HSDS extension attributes (see resdir.interop.hsds_extensions), read back:
structured eligibility and capacity of programs, confidential locations and their time
zone, dated closures and typed service areas. They are applied to those fields, not kept as
taxonomy attributes; files from other systems simply have none."""

from __future__ import annotations

from resdir.interop import hsds_extensions as ext
from resdir.interop.hsds_import.tables import Dataset, Rec


def collect(dataset: Dataset) -> dict[tuple[str, str], dict[str, list[str]]]:
    """(link_entity, link_id) -> extension field -> values. The attributes and terms read
    are marked so that the taxonomy step leaves them out."""
    terms = {r.get("id"): r for r in dataset.rows("taxonomy_term") if r.get("id")}
    found: dict[tuple[str, str], list[dict]] = {}
    for rec in dataset.rows("attribute"):
        term = terms.get(rec.get("taxonomy_term_id"))
        attribute = {"taxonomy_term_id": rec.get("taxonomy_term_id"), "value": rec.get("value"),
                     "taxonomy_term": {"code": term.get("code")} if term else None}
        if ext.extension_code(attribute) is None:
            continue
        rec.data["_extension"] = True
        key = (rec.get("link_entity").lower(), rec.get("link_id"))
        found.setdefault(key, []).append(attribute)
    for rec in dataset.rows("taxonomy_term"):
        if rec.get("code") in ext.EXTENSION_TERMS:
            rec.data["_extension"] = True
    return {key: ext.extension_values(attributes) for key, attributes in found.items()}


def values(found: dict, entity: str, rec: Rec) -> dict[str, list[str]]:
    return found.get((entity, rec.get("id")), {})


def service(found: dict, rec: Rec) -> dict:
    """Capacity fields and `eligibility` (columns, or None) when the file has them."""
    given = values(found, "service", rec)
    return ext.service_fields(given) if given else {}


def location(found: dict, rec: Rec) -> dict:
    given = values(found, "location", rec)
    return ext.location_fields(given) if given else {}


def closed(found: dict, rec: Rec) -> bool:
    return ext.schedule_fields(values(found, "schedule", rec))["closed"]


def service_area(found: dict, rec: Rec) -> dict:
    given = values(found, "service_area", rec)
    return ext.service_area_fields(given) if given else {}
