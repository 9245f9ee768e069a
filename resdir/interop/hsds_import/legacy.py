"""HSDS 1.x tabular CSV (and the ORServices / Airtable export of it) into HSDS 3.0 tables.

1.x names that changed: physical_addresses and postal_addresses -> address (with its
type), regular_schedules -> schedule (`weekday`, 1 = Monday), holiday_schedules -> dated
closures, services_taxonomy -> attribute, taxonomy -> taxonomy_term (its `vocabulary`
names the taxonomy), services.taxonomy_ids -> attributes, eligibility -> eligibility
words. ORServices also writes the term a service has in `taxonomy_recordid` instead of
`taxonomy_id`; that is read and reported.
"""

from __future__ import annotations

from pathlib import Path

from resdir.interop.hsds_import.read_csv import read_rows, table_files
from resdir.interop.hsds_import.report import ImportReport
from resdir.interop.hsds_import.tables import Dataset, Rec

# file stem -> (table, renamed fields, fixed fields). First the files that are HSDS 3.0
# tables under another stem, as they are.
TABLES: dict[str, tuple[str, dict, dict]] = {stem: (table, {}, {}) for stem, table in {
    "organizations": "organization", "services": "service", "locations": "location",
    "services_at_location": "service_at_location", "phones": "phone",
    "services_at_locations": "service_at_location", "languages": "language",
    "service_at_location": "service_at_location", "regular_schedules": "schedule",
    "eligibility": "eligibility", "required_documents": "required_document",
    "contacts": "contact", "programs": "program", "funding": "funding",
    "accessibility_for_disabilities": "accessibility", "payments_accepted": "payment_accepted",
    "metadata": "metadata", "meta_table_descriptions": "meta_table_description",
}.items()}
TABLES |= {
    "physical_addresses": ("address", {}, {"address_type": "physical"}),
    "postal_addresses": ("address", {}, {"address_type": "postal"}),
    "holiday_schedules": ("schedule", {}, {"_closure": True}),
    "service_areas": ("service_area", {"service_area": "name"}, {}),
    "services_taxonomy": ("attribute", {"service_id": "link_id",
                                        "taxonomy_id": "taxonomy_term_id",
                                        "taxonomy_detail": "value"}, {"link_entity": "service"}),
    "taxonomy": ("taxonomy_term", {"vocabulary": "taxonomy", "taxonomy_id": "record_id"}, {}),
}


def read(folder: Path, package: dict | None, dataset: Dataset, report: ImportReport) -> None:
    for stem, path in table_files(folder, package).items():
        if stem not in TABLES:
            report.note(path.name, None, "-", "not an HSDS 1.x table; not read")
            continue
        table, renames, fixed = TABLES[stem]
        recorded: list[int] = []
        for rec in read_rows(path, table, report):
            for old, new in renames.items():
                if old in rec.data:
                    rec.data[new] = rec.data.pop(old)
                    rec.renamed[new] = old
            rec.data.update(fixed)
            if table in ("address", "schedule") and rec.get("id"):  # two files feed each
                rec.data["id"] = f"{stem}/{rec.get('id')}"
            if table == "attribute" and not rec.get("taxonomy_term_id") and rec.get(
                    "taxonomy_recordid"):
                rec.data["taxonomy_term_id"] = rec.get("taxonomy_recordid")
                rec.renamed["taxonomy_term_id"] = "taxonomy_recordid"
                recorded.append(rec.row)
            dataset.add(rec)
            if table == "service":
                _taxonomy_ids(rec, dataset)
        if recorded:
            report.repaired(path.name, recorded[0], "taxonomy_id", f"blank; the term's id is in "
                            f"taxonomy_recordid ({len(recorded)} rows), used that")


def _taxonomy_ids(rec: Rec, dataset: Dataset) -> None:
    """HSDS 1.x `services.taxonomy_ids`: a comma-joined list of taxonomy ids."""
    for term in (t.strip() for t in rec.get("taxonomy_ids").split(",")):
        if term:
            dataset.add(Rec("attribute", rec.file, rec.row, {
                "link_id": rec.get("id"), "link_entity": "service", "taxonomy_term_id": term}))
