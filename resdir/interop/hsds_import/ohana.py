"""The Ohana API CSV dialect (Code for America's precursor of HSDS) into HSDS 3.0 tables.

Ohana hangs each service on one location (`services.location_id`); the organization is the
location's. Lists are comma-joined cells (`languages`, `keywords`, `service_areas`,
`required_documents`, `taxonomy_ids`). `virtual=true` marks a location without a place.
`eligibility` and `audience` become the eligibility description; `keywords` are kept as
terms of an "Ohana keywords" taxonomy; `taxonomy.csv` is Open Eligibility with Ohana's ids.
"""

from __future__ import annotations

from pathlib import Path

from resdir.interop.hsds_import.read_csv import read_rows, table_files
from resdir.interop.hsds_import.report import ImportReport
from resdir.interop.hsds_import.tables import Dataset, Rec

_NOT_STORED = {"contacts": "contact", "programs": "program"}


def read(folder: Path, package: dict | None, dataset: Dataset, report: ImportReport) -> None:
    files = table_files(folder, package)
    owner: dict[str, str] = {}
    known = {"organizations", "locations", "addresses", "mail_addresses", "services", "phones",
             "regular_schedules", "holiday_schedules", "taxonomy", *_NOT_STORED}
    for stem, path in files.items():
        if stem not in known:
            report.note(path.name, None, "-", "not an Ohana table; not read")
    for rec in _rows(files, "organizations", "organization", report):
        dataset.add(rec)
    for rec in _rows(files, "locations", "location", report):
        owner[rec.get("id")] = rec.get("organization_id")
        if rec.get("virtual").lower() == "true":
            rec.data["location_type"] = "virtual"
        if not rec.get("description") and rec.get("short_desc"):
            rec.data["description"] = rec.get("short_desc")
        dataset.add(rec)
        _list(dataset, rec, "languages", "language", "location_id")
    for stem, kind in (("addresses", "physical"), ("mail_addresses", "postal")):
        for rec in _rows(files, stem, "address", report):
            rec.data.update(address_type=kind, id=f"{stem}/{rec.get('id')}")
            dataset.add(rec)
    for rec in _rows(files, "services", "service", report):
        _service(rec, owner, dataset)
    for rec in _rows(files, "phones", "phone", report):
        rec.data["type"] = rec.data.pop("number_type", "")
        rec.renamed["type"] = "number_type"
        dataset.add(rec)
    for stem, closure in (("regular_schedules", False), ("holiday_schedules", True)):
        for rec in _rows(files, stem, "schedule", report):
            rec.data.update(_closure=closure, id=f"{stem}/{rec.get('id')}")
            dataset.add(rec)
    for rec in _rows(files, "taxonomy", "taxonomy_term", report):
        rec.data.update(id=rec.get("taxonomy_id"), code=rec.get("taxonomy_id"),
                        taxonomy="Open Eligibility")
        rec.data.pop("taxonomy_id", None)
        dataset.add(rec)
    for stem, table in _NOT_STORED.items():
        for rec in _rows(files, stem, table, report):
            dataset.add(rec)


def _rows(files: dict[str, Path], stem: str, table: str, report: ImportReport) -> list[Rec]:
    return read_rows(files[stem], table, report) if stem in files else []


def _list(dataset: Dataset, rec: Rec, column: str, table: str, link: str) -> None:
    for i, item in enumerate(p.strip() for p in rec.get(column).split(",")):
        if item:
            dataset.add(Rec(table, rec.file, rec.row, {
                link: rec.get("id"), "name": item, "id": f"{link}/{rec.get('id')}/{column}/{i}"},
                renamed={"name": column}))


def _service(rec: Rec, owner: dict[str, str], dataset: Dataset) -> None:
    data, key = rec.data, rec.get("id")
    data["organization_id"] = owner.get(rec.get("location_id"), "")
    rec.renamed["organization_id"] = "location_id"
    data["url"] = data.pop("website", "")
    data["fees_description"] = data.pop("fees", "")
    parts = [rec.get("eligibility"), f"Audience: {rec.get('audience')}" if rec.get("audience")
             else ""]
    data["eligibility_description"] = "\n".join(p for p in parts if p)
    dataset.add(rec)
    if rec.get("location_id"):
        dataset.add(Rec("service_at_location", rec.file, rec.row,
                        {"service_id": key, "location_id": rec.get("location_id")}))
    _list(dataset, rec, "languages", "language", "service_id")
    for i, item in enumerate(p.strip() for p in rec.get("required_documents").split(",")):
        if item:
            dataset.add(Rec("required_document", rec.file, rec.row,
                            {"id": f"{key}/document/{i}", "service_id": key, "document": item}))
    if rec.get("service_areas"):
        dataset.add(Rec("service_area", rec.file, rec.row, {
            "id": f"{key}/area", "service_id": key, "name": rec.get("service_areas")},
            renamed={"name": "service_areas"}))
    for code in (c.strip() for c in rec.get("taxonomy_ids").split(",")):
        if code:
            dataset.add(Rec("attribute", rec.file, rec.row, {
                "link_id": key, "link_entity": "service", "taxonomy_term_id": code},
                renamed={"taxonomy_term_id": "taxonomy_ids"}))
    for word in (w.strip() for w in rec.get("keywords").split(",")):
        if word:
            term_id = "keyword:" + " ".join(word.lower().split())
            dataset.add(Rec("taxonomy_term", rec.file, rec.row, {
                "id": term_id, "code": word[:100], "name": word, "taxonomy": "Ohana keywords"},
                nested=True, renamed={"name": "keywords"}))
            dataset.add(Rec("attribute", rec.file, rec.row, {
                "link_id": key, "link_entity": "service", "taxonomy_term_id": term_id},
                renamed={"taxonomy_term_id": "keywords"}))
