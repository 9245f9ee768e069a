"""The HSDS 3.0 tabular datapackage: `export` writes services.json, one CSV per HSDS table
and datapackage.json (field names and order as the spec's `datapackage.json`).

The CSV rows are the nested objects of :mod:`resdir.interop.hsds_export`, flattened: each
child gets its parent's id (`service_id`, `location_id`...), so JSON and CSV always agree.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from resdir.directory import models as m
from resdir.extensions import db
from resdir.interop.hsds_export import (
    iter_services,
    location_obj,
    organization_obj,
    taxonomy_obj,
    term_obj,
)
from resdir.interop.hsds_export_context import Context
from resdir.interop.hsds_extensions import EXTENSION_TERMS, extension_term, text, when

TABLES = {name: (path, fields.split()) for name, path, fields in (
    ("organization", "organizations.csv", "id name alternate_name description email website "
     "tax_status tax_id year_incorporated legal_status logo uri parent_organization_id"),
    ("program", "programs.csv", "id organization_id name alternate_name description"),
    ("service", "services.csv", "id organization_id program_id name alternate_name description "
     "url email status interpretation_services application_process fees_description wait_time "
     "fees accreditations eligibility_description minimum_age maximum_age assured_date "
     "assurer_email licenses alert last_modified"),
    ("attribute", "attributes.csv", "id link_id taxonomy_term_id link_type link_entity value"),
    ("service_at_location", "service_at_location.csv", "id service_id location_id description"),
    ("location", "locations.csv", "id location_type url organization_id name alternate_name "
     "description transportation latitude longitude external_identifier "
     "external_identifier_type"),
    ("phone", "phones.csv", "id location_id service_id organization_id contact_id "
     "service_at_location_id number extension type description"),
    ("contact", "contacts.csv", "id organization_id service_id service_at_location_id "
     "location_id name title department email"),
    ("address", "addresses.csv", "id location_id attention address_1 address_2 city region "
     "state_province postal_code country address_type"),
    ("schedule", "schedules.csv", "id service_id location_id service_at_location_id valid_from "
     "valid_to dtstart timezone until count wkst freq interval byday byweekno bymonthday "
     "byyearday description opens_at closes_at schedule_link attending_type notes"),
    ("funding", "funding.csv", "id organization_id service_id source"),
    ("service_area", "service_areas.csv", "id service_id name description extent extent_type "
     "uri"),
    ("required_document", "required_documents.csv", "id service_id document uri"),
    ("language", "languages.csv", "id service_id location_id phone_id name code note"),
    ("accessibility", "accessibility.csv", "id location_id description details url"),
    ("taxonomy_term", "taxonomy_terms.csv", "id code name description parent_id taxonomy "
     "language taxonomy_id term_uri"),
    ("metadata", "metadata.csv", "id resource_id resource_type last_action_date "
     "last_action_type field_name previous_value replacement_value updated_by"),
    ("meta_table_description", "meta_table_descriptions.csv", "id name language character_set"),
    ("cost_option", "cost_options.csv", "id service_id valid_from valid_to option currency "
     "amount amount_description"),
    ("organization_identifier", "organization_identifiers.csv", "id organization_id "
     "identifier_scheme identifier_type identifier"),
    ("taxonomy", "taxonomies.csv", "id name description uri version"),
)}
FIELD_TYPES = {
    "number": "year_incorporated minimum_age maximum_age latitude longitude extension timezone "
              "count interval amount",
    "date": "assured_date valid_from valid_to dtstart until last_action_date",
    "datetime": "last_modified", "time": "opens_at closes_at",
}
# Where a nested key leads: its table. Children of a list get `<parent table>_id`.
CHILDREN = {"organization": "organization", "location": "location", "program": "program",
            "taxonomy_term": "taxonomy_term", "taxonomy_detail": "taxonomy",
            "service_at_locations": "service_at_location", "locations": "location",
            "phones": "phone", "schedules": "schedule", "languages": "language",
            "addresses": "address", "contacts": "contact", "accessibility": "accessibility",
            "service_areas": "service_area", "required_documents": "required_document",
            "cost_options": "cost_option", "funding": "funding", "programs": "program",
            "organization_identifiers": "organization_identifier", "attributes": "attribute",
            "metadata": "metadata"}


def datapackage() -> dict:
    """The HSDS 3.0 tabular datapackage descriptor (field names and order as the spec's)."""
    types = {f: t for t, names in FIELD_TYPES.items() for f in names.split()}
    resources = []
    for name, (path, fields) in TABLES.items():
        keys = [{"fields": f, "reference": {"resource": f.removesuffix("_id"), "fields": "id"}}
                for f in fields if f.endswith("_id") and f.removesuffix("_id") in TABLES]
        resources.append({
            "name": name, "path": path, "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8", "profile": "tabular-data-resource",
            "schema": {"fields": [{"name": f, "type": types.get(f, "string")} for f in fields],
                       "primaryKey": "id", "foreignKeys": keys}})
    return {"name": "human_services_data", "title": "Human Services Data Specification",
            "profile": "tabular-data-package", "version": "3.0.0",
            "license": {"name": "CC-BY-SA-4.0",
                        "path": "https://creativecommons.org/licenses/by-sa/4.0/"},
            "created": when(datetime.now(UTC)), "resources": resources}


def flatten(table: str, obj: dict, rows: dict[str, dict[str, dict]]) -> None:
    """Add a nested object and everything in it to `rows` (table -> id -> row)."""
    row = rows[table].setdefault(obj["id"], {})
    for key, value in obj.items():
        child = CHILDREN.get(key)
        if child is None:
            if not isinstance(value, list | dict):
                row.setdefault(key, value)
            continue
        for item in value if isinstance(value, list) else [value]:
            linked = item
            if isinstance(value, list) and child not in ("attribute", "metadata"):
                linked = {f"{table}_id": obj["id"], **item}
            flatten(child, linked, rows)


def export(directory: str | Path) -> dict[str, int]:
    """Write services.json (every program, HSDS `service_full`), organizations.json (every
    organization with its locations, phones and contacts, those without programs too) and
    the datapackage (datapackage.json and one CSV per table)."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    rows: dict[str, dict[str, dict]] = {name: {} for name in TABLES}
    count = 0
    with (folder / "services.json").open("w", encoding="utf-8") as out:
        out.write("[")
        for obj in iter_services():
            out.write(",\n" if count else "\n")
            json.dump(obj, out, ensure_ascii=False)
            flatten("service", obj, rows)
            count += 1
        out.write("\n]\n")
    orgs = db.session.scalars(select(m.Organization).order_by(m.Organization.id)
                              .options(selectinload(m.Organization.locations)
                                       .selectinload(m.Location.addresses))).all()
    ctx = Context(organization_ids=[o.id for o in orgs],
                  location_ids=[loc.id for o in orgs for loc in o.locations])
    # Every organization, those without programs too (services.json, a list of programs,
    # cannot hold them): organizations.json beside it, and organizations.csv.
    with (folder / "organizations.json").open("w", encoding="utf-8") as out:
        out.write("[")
        for n, org in enumerate(orgs):
            obj = organization_obj(org, ctx) | {
                "locations": [location_obj(loc, ctx) for loc in org.locations]}
            out.write(",\n" if n else "\n")
            json.dump(obj, out, ensure_ascii=False)
            flatten("organization", obj, rows)
        out.write("\n]\n")
    for taxonomy in ctx.taxonomies.values():
        flatten("taxonomy", taxonomy_obj(taxonomy), rows)
    for term in db.session.scalars(select(m.TaxonomyTerm)):
        flatten("taxonomy_term", term_obj(term, ctx.taxonomies), rows)
    for code in EXTENSION_TERMS:
        flatten("taxonomy_term", extension_term(code), rows)
    for name, (path, fields) in TABLES.items():
        with (folder / path).open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(fields)
            for row in sorted(rows[name].values(), key=lambda r: r["id"]):
                writer.writerow(["" if row.get(f) is None else text(row[f]) for f in fields])
    (folder / "datapackage.json").write_text(json.dumps(datapackage(), indent=2) + "\n",
                                              encoding="utf-8")
    return {"services": count, **{name: len(found) for name, found in rows.items()}}
