"""HSDS 3.0 JSON: one object, a list of objects, the API's paged envelope (`contents`), or
the tabular form (`{"services.csv": [...], ...}`), flattened into HSDS 3.0 tables.

A file is read as a stream (ijson), one record of the list at a time: a 160 MB file never
exists as one Python object (json.loads made it ten to twenty times its size). A first pass
looks only at the top level (is it a list, an envelope, tables); the second builds the
records one by one.

Nested objects become records of their own table, linked to the object they sit in (a
phone inside a service gets its `service_id`). The same object repeated in several places
(the spec's examples repeat a phone five times) is merged later by id.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field as default
from pathlib import Path

import ijson

from resdir.interop.hsds_import.report import ImportReport
from resdir.interop.hsds_import.tables import FILE_TABLES, Dataset, Rec

# parent table -> list field -> (child table, the child's field that points at the parent)
_LISTS = {
    "organization": {
        "services": ("service", "organization_id"), "locations": ("location", "organization_id"),
        "phones": ("phone", "organization_id"), "contacts": ("contact", "organization_id"),
        "funding": ("funding", "organization_id"), "programs": ("program", "organization_id"),
        "organization_identifiers": ("organization_identifier", "organization_id"),
    },
    "service": {
        "phones": ("phone", "service_id"), "schedules": ("schedule", "service_id"),
        "service_areas": ("service_area", "service_id"),
        "service_at_locations": ("service_at_location", "service_id"),
        "languages": ("language", "service_id"), "funding": ("funding", "service_id"),
        "cost_options": ("cost_option", "service_id"),
        "required_documents": ("required_document", "service_id"),
        "contacts": ("contact", "service_id"),
        "capacities": ("service_capacity", "service_id"),  # HSDS 3.1
    },
    "location": {
        "addresses": ("address", "location_id"), "phones": ("phone", "location_id"),
        "schedules": ("schedule", "location_id"), "languages": ("language", "location_id"),
        "accessibility": ("accessibility", "location_id"), "contacts": ("contact", "location_id"),
    },
    "service_at_location": {
        "phones": ("phone", "service_at_location_id"),
        "schedules": ("schedule", "service_at_location_id"),
        "contacts": ("contact", "service_at_location_id"),
    },
    "phone": {"languages": ("language", "phone_id")},
    "contact": {"phones": ("phone", "contact_id")},
}
# parent table -> object field -> (child table, the parent's field that points at the child)
_OBJECTS = {
    "service": {"organization": ("organization", "organization_id"),
                "program": ("program", "program_id")},
    "service_at_location": {"service": ("service", "service_id"),
                            "location": ("location", "location_id")},
    "taxonomy_term": {"taxonomy_detail": ("taxonomy", "taxonomy_id")},
    "attribute": {"taxonomy_term": ("taxonomy_term", "taxonomy_term_id")},
    "service_capacity": {"unit": ("unit", "unit_id")},
}
_HINTS = (
    ("organization", {"services", "organization_identifiers", "year_incorporated",
                      "legal_status", "tax_status", "website", "logo", "parent_organization_id"}),
    ("location", {"location_type", "latitude", "longitude", "addresses", "transportation",
                  "accessibility", "external_identifier"}),
    ("service", {"status", "organization", "organization_id", "service_at_locations",
                 "eligibility_description", "program", "fees_description",
                 "application_process", "assured_date", "service_areas",
                 "interpretation_services"}),
    ("taxonomy_term", {"taxonomy_detail", "term_uri", "taxonomy_id", "code"}),
    ("attribute", {"link_id", "link_entity", "taxonomy_term", "taxonomy_term_id"}),
)


def kind_of(obj: dict) -> str | None:
    """Which HSDS object a JSON object is, from its fields."""
    keys = set(obj)
    if "name" not in keys and {"service", "location"} & keys:
        return "service_at_location"
    for kind, hints in _HINTS:
        if keys & hints:
            return kind
    if "name" in keys and keys <= {"id", "name", "description", "uri", "version"}:
        return "taxonomy"
    return None


BOM = b"\xef\xbb\xbf"
ENVELOPE = "contents"
ROOT_KEYS = {"version", "profile", "openapi_url"}  # the HSDS API's root document


@dataclass
class Shape:
    """What a JSON file holds at its top level."""

    top: str  # "start_map", "start_array", or the event of a bare value
    values: dict[str, str] = default(default_factory=dict)  # object key -> its value's event

    @property
    def tabular(self) -> bool:
        return self.top == "start_map" and bool(self.values) and all(
            event == "start_array" and key.removesuffix(".csv").lower() in FILE_TABLES
            for key, event in self.values.items())


@contextmanager
def _open(path: Path):
    with path.open("rb") as handle:
        if handle.read(3) != BOM:
            handle.seek(0)
        yield handle


def load(path: Path, report: ImportReport) -> Shape | None:
    """The file's shape (one streaming pass over an object's top level, which also checks
    that it is JSON); None (and a fatal entry) when it is not readable JSON."""
    try:
        with _open(path) as handle:
            events = ijson.parse(handle, use_float=True)
            _, top, _ = next(events)
            shape = Shape(top)
            if top == "start_map":
                for prefix, event, value in events:
                    if prefix == "" and event == "map_key":
                        key = value
                    elif prefix == key and key not in shape.values:
                        shape.values[key] = event
            return shape
    except StopIteration:
        report.fatal(path.name, None, "-", "not valid JSON (the file is empty)")
    except UnicodeDecodeError:
        report.fatal(path.name, None, "-", "not UTF-8 text")
    except ijson.JSONError as exc:
        report.fatal(path.name, None, "-", _problem(exc))
    except OSError as exc:
        report.fatal(path.name, None, "-", f"cannot read the file: {exc.strerror}")
    return None


def _problem(exc: Exception) -> str:
    """ijson's error (yajl's message, as bytes) as a report's reason."""
    text = exc.args[0] if exc.args else ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = str(text)
    if "invalid bytes in UTF8" in text:
        return "not UTF-8 text"
    return f"not valid JSON ({(text.strip().splitlines() or ['unreadable'])[0][:200]})"


def is_tabular(shape: Shape) -> bool:
    return shape.tabular


def _items(path: Path, prefix: str) -> Iterator:
    with _open(path) as handle:
        yield from ijson.items(handle, prefix, use_float=True)


def read(path: Path, shape: Shape, dataset: Dataset, report: ImportReport) -> None:
    """Flatten one JSON file into the dataset, record by record."""
    try:
        _read(path, shape, dataset, report)
    except UnicodeDecodeError:
        report.fatal(path.name, None, "-", "not UTF-8 text")
    except ijson.JSONError as exc:
        report.fatal(path.name, None, "-", _problem(exc))


def _read(path: Path, shape: Shape, dataset: Dataset, report: ImportReport) -> None:
    name = path.name
    if shape.tabular:
        for key in shape.values:
            table = FILE_TABLES[key.removesuffix(".csv").lower()]
            for i, row in enumerate(_items(path, f"{key}.item")):
                if isinstance(row, dict):
                    dataset.add(Rec(table, name, f"{key}[{i}]",
                                    dataset.compact(_scalars(row))))
                    report.read[table] += 1
        return
    if shape.top == "start_map" and shape.values.get(ENVELOPE) == "start_array":
        items, prefix = _items(path, f"{ENVELOPE}.item"), ENVELOPE
    elif shape.top == "start_array":
        items, prefix = _items(path, "item"), ""
    elif shape.top == "start_map":
        if set(shape.values) <= ROOT_KEYS:
            report.note(name, None, "-", "an HSDS API root document; it holds no records")
            return
        items, prefix = _items(path, ""), None
    else:
        report.fatal(name, None, "-", "not an HSDS object, list of objects or paged envelope")
        return
    for i, obj in enumerate(items):
        where = "$" if prefix is None else f"{prefix}[{i}]" if prefix else f"[{i}]"
        kind = kind_of(obj) if isinstance(obj, dict) else None
        if kind is None:
            report.skipped(name, where, "-", "not a recognizable HSDS object")
            continue
        _flatten(kind, obj, name, where, {}, dataset, report, nested=False)


def _scalars(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if not isinstance(v, dict | list)}


def _flatten(table: str, obj: dict, file: str, where: str, links: dict, dataset: Dataset,
             report: ImportReport, nested: bool) -> Rec:
    data = dataset.compact(_scalars(obj))
    for key, value in links.items():
        if key in ("link_id", "link_entity") or not data.get(key):
            data[key] = value
    rec = dataset.add(Rec(table, file, where, data, nested=nested))
    report.read[table] += 1
    own_id = data.get("id")
    nested_objects = []
    for field, (child, parent_field) in _OBJECTS.get(table, {}).items():
        sub = obj.get(field)
        if isinstance(sub, dict):
            nested_objects.append((field, child, sub))
            if sub.get("id") and not data.get(parent_field):
                data[parent_field] = sub["id"]
    if own_id is not None:
        for field, (child, parent_field) in _LISTS.get(table, {}).items():
            items = obj.get(field)
            if not isinstance(items, list):
                continue
            sub_links = {parent_field: own_id}
            if table == "service_at_location":
                sub_links.update(service_id=data.get("service_id"),
                                 location_id=data.get("location_id"))
            for i, sub in enumerate(items):
                if isinstance(sub, dict):
                    _flatten(child, sub, file, f"{where}.{field}[{i}]",
                             {k: v for k, v in sub_links.items() if v}, dataset, report, True)
        for i, sub in enumerate(obj.get("attributes") or []):
            if isinstance(sub, dict) and table in ("organization", "service", "location",
                                                   "schedule", "service_area"):
                _flatten("attribute", sub, file, f"{where}.attributes[{i}]",
                         {"link_id": own_id, "link_entity": table}, dataset, report, True)
    # objects nested last: the record's own lists are the first copy of anything repeated
    for field, child, sub in nested_objects:
        _flatten(child, sub, file, f"{where}.{field}", {}, dataset, report, True)
    return rec
