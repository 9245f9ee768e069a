"""`resdir export-hsds`: HSDS 3.0 JSON and the tabular datapackage, checked against the
spec's own JSON schemas and datapackage, and a round trip through the HSDS importer."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from resdir.directory import indexing
from resdir.directory import models as m
from resdir.extensions import db
from resdir.interop.hsds_extensions import stable_id

EXTERNAL = Path(__file__).resolve().parents[2] / "shared" / "external"
SPEC = EXTERNAL / "hsds-specification" / "v3.0"
SCHEMAS = SPEC / "schema"


def _format_checker() -> FormatChecker:
    """jsonschema's checker, plus `uri` and `date-time` (their optional packages are not
    installed, and unchecked formats would pass anything)."""
    checker = FormatChecker()

    @checker.checks("uri", raises=ValueError)
    def is_uri(value) -> bool:
        parts = urlsplit(value) if isinstance(value, str) else None
        return parts is None or bool(parts.scheme and (parts.netloc or parts.path)
                                     and " " not in value)

    @checker.checks("date-time", raises=ValueError)
    def is_date_time(value) -> bool:
        if not isinstance(value, str):
            return True
        return "T" in value and datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo

    return checker


@cache
def validator(name: str) -> Draft202012Validator:
    """A validator for one HSDS schema file, its `$ref`s resolved to the other files."""
    resources = [(p.name, Resource.from_contents(json.loads(p.read_text()), DRAFT202012))
                 for p in SCHEMAS.glob("*.json") if p.name != "openapi.json"]
    registry = Registry().with_resources(resources)
    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    return Draft202012Validator(schema, registry=registry, format_checker=_format_checker())


def validate(name: str, obj: dict) -> None:
    errors = sorted(validator(name).iter_errors(obj), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{name} {list(e.absolute_path)}: {e.message}"
                                 for e in errors[:10])


def validate_capacity(capacity: dict) -> None:
    """HSDS 3.1 (draft) service_capacity: id, unit {id, name}, available, updated required."""
    assert {"id", "unit", "available", "updated"} <= set(capacity)
    assert {"id", "name"} <= set(capacity["unit"])
    assert isinstance(capacity["available"], int | float)
    assert datetime.fromisoformat(capacity["updated"].replace("Z", "+00:00")).tzinfo


def test_the_validator_accepts_the_spec_example_and_refuses_a_broken_one():
    example = json.loads((SPEC / "examples" / "service_full.json").read_text())
    validate("service", example)
    broken = json.loads(json.dumps(example))
    broken["service_at_locations"][0]["location"]["addresses"][0].pop("city")
    broken["status"] = "open"
    assert len(list(validator("service").iter_errors(broken))) == 2


def _export(runner, folder: Path) -> list[dict]:
    result = runner.invoke(args=["resdir", "export-hsds", str(folder)])
    assert result.exit_code == 0, result.output
    assert "exported 6 services" in result.output or "exported" in result.output
    return json.loads((folder / "services.json").read_text())


def _table(folder: Path, path: str) -> list[dict]:
    with (folder / path).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_exported_service_validates(mini, runner, tmp_path):
    out = tmp_path / "hsds"
    services = _export(runner, out)
    assert len(services) == 6
    for service in services:
        validate("service", service)
        for capacity in service["capacities"]:
            validate_capacity(capacity)
        assert service["organization"]["name"]
        assert service["service_at_locations"] and service["schedules"] is not None
    pantry = next(s for s in services if s["name"] == "Hilltop Food Pantry")
    days = {x["byday"] for x in pantry["schedules"] if "opens_at" in x}
    assert days == {"MO", "TU", "WE", "TH", "FR", "SA"}
    assert {"code": "food", "taxonomy": "resdir categories"}.items() <= next(
        a["taxonomy_term"] for a in pantry["attributes"]
        if a["taxonomy_term"]["code"] == "food").items()
    closure = next(x for x in pantry["schedules"] if "opens_at" not in x)
    assert closure["valid_from"] == "2026-11-26"
    assert closure["attributes"][0]["taxonomy_term"]["code"] == "resdir-schedule:closed"


def test_the_datapackage_follows_the_spec(mini, runner, tmp_path):
    out = tmp_path / "hsds"
    _export(runner, out)
    ours = json.loads((out / "datapackage.json").read_text())
    spec = json.loads((SPEC / "datapackage.json").read_text())
    assert ours["profile"] == spec["profile"] == "tabular-data-package"
    assert [(r["name"], r["path"], [f["name"] for f in r["schema"]["fields"]])
            for r in ours["resources"]] == [
        (r["name"], r["path"], [f["name"] for f in r["schema"]["fields"]])
        for r in spec["resources"]]
    ids: dict[str, set[str]] = {}
    for resource, theirs in zip(ours["resources"], spec["resources"], strict=True):
        rows = _table(out, resource["path"])
        assert list(rows[0]) if rows else True
        with (out / resource["path"]).open(encoding="utf-8") as handle:
            assert handle.readline().strip().split(",") == [
                f["name"] for f in theirs["schema"]["fields"]]
        types = {f["name"]: f["type"] for f in theirs["schema"]["fields"]}
        required = [f["name"] for f in theirs["schema"]["fields"]
                    if f.get("constraints", {}).get("required")]
        ids[resource["name"]] = {r["id"] for r in rows}
        for row in rows:
            assert all(row[f] != "" for f in required), (resource["name"], row)
            obj = {k: _typed(v, types[k]) for k, v in row.items() if v != ""}
            validate(resource["name"], obj)
    # Foreign keys resolve (phones, languages, attributes, schedules...).
    for resource in ours["resources"]:
        for key in resource["schema"]["foreignKeys"]:
            target = ids[key["reference"]["resource"]]
            for row in _table(out, resource["path"]):
                assert row[key["fields"]] in ("", *target), (resource["name"], key, row)
    attributes = _table(out, "attributes.csv")
    linked = set().union(*(ids[t] for t in ("service", "location", "schedule", "service_area")))
    assert {a["link_id"] for a in attributes} <= linked
    assert {a["taxonomy_term_id"] for a in attributes} <= ids["taxonomy_term"]


def _typed(value: str, kind: str):
    if kind == "number":
        return float(value) if "." in value else int(value)
    if kind == "date":
        date.fromisoformat(value)
    return value


def _confidential(app, service_id: str):
    with app.app_context():
        [loc] = db.session.get(m.Service, service_id).locations
        assert loc.confidential
        return loc.id, loc.address.address_1, loc.latitude, loc.longitude


def test_confidential_addresses_never_leave(mini, make_service, runner, tmp_path):
    out = tmp_path / "hsds"
    sid = make_service("Safe Harbor Shelter", confidential=True, lat=40.4611, lon=-79.9258,
                       zip_code="15206")
    loc_id, street, lat, lon = _confidential(mini, sid)
    assert street and lat is not None
    services = _export(runner, out)
    everything = "".join(p.read_text() for p in out.iterdir())
    assert street not in everything
    assert str(lat) not in everything and str(lon) not in everything
    shelter = next(s for s in services if s["name"] == "Safe Harbor Shelter")
    location = shelter["service_at_locations"][0]["location"]
    assert location["id"] == loc_id and location["addresses"] == []
    assert "latitude" not in location and "longitude" not in location
    assert [a["taxonomy_term"]["code"] for a in location["attributes"]] == [
        "resdir-location:confidential", "resdir-location:timezone"]
    assert not [a for a in _table(out, "addresses.csv") if a["location_id"] == loc_id]


def _rich_service(app, make_service) -> str:
    """A program with every structured rule, capacity counts and a radius service area."""
    sid = make_service("Diaper Bank", categories=("food",), minimum_age=0, maximum_age=64,
                       capacity_status="waitlist", capacity_available=3, capacity_maximum=40,
                       capacity_updated=datetime(2026, 11, 2, 15, 30, tzinfo=UTC))
    with app.app_context():
        service = db.session.get(m.Service, sid)
        service.eligibility = m.Eligibility(
            income_limit_fpl=185, household_size_min=2, veteran_required=True,
            insurance="medicaid;uninsured", gender="female", languages="en;es",
            residency_required=True)
        service.service_areas = [m.ServiceArea(kind="radius", radius_mi=5.0,
                                               center_latitude=40.44, center_longitude=-79.95,
                                               name="Within 5 miles")]
        indexing.commit()
    return sid


def test_eligibility_and_capacity_go_out_as_attributes(app, make_service, runner, tmp_path):
    out = tmp_path / "hsds"
    _rich_service(app, make_service)
    [service] = _export(runner, out)
    validate("service", service)
    got = sorted((a["taxonomy_term"]["code"], a.get("value")) for a in service["attributes"]
                 if a["taxonomy_term"]["code"].startswith("resdir-"))
    assert got == [
        ("resdir-capacity:available", "3"), ("resdir-capacity:maximum", "40"),
        ("resdir-capacity:status", "waitlist"),
        ("resdir-capacity:updated", "2026-11-02T15:30:00Z"),
        ("resdir-eligibility:gender", "female"),
        ("resdir-eligibility:household_size_min", "2"),
        ("resdir-eligibility:income_limit_fpl", "185"),
        ("resdir-eligibility:insurance", "medicaid"),
        ("resdir-eligibility:insurance", "uninsured"),
        ("resdir-eligibility:language", "en"), ("resdir-eligibility:language", "es"),
        ("resdir-eligibility:residency_required", "true"),
        ("resdir-eligibility:veteran_required", "true"),
    ]
    term = next(a for a in service["attributes"]
                if a["taxonomy_term"]["code"] == "resdir-eligibility:income_limit_fpl")
    assert term["taxonomy_term_id"] == stable_id("term", "resdir-eligibility:income_limit_fpl")
    assert term["taxonomy_term"]["taxonomy_detail"]["name"] == "resdir-eligibility"
    assert (service["minimum_age"], service["maximum_age"]) == (0, 64)
    [capacity] = service["capacities"]
    validate_capacity(capacity)
    assert (capacity["available"], capacity["maximum"], capacity["updated"]) == (
        3, 40, "2026-11-02T15:30:00Z")
    assert capacity["unit"]["identifier"] == "openings"
    [area] = service["service_areas"]
    assert sorted((a["taxonomy_term"]["code"], a["value"]) for a in area["attributes"]) == [
        ("resdir-service-area:center", "40.44,-79.95"), ("resdir-service-area:kind", "radius"),
        ("resdir-service-area:radius_mi", "5.0")]
    terms = {t["code"] for t in _table(out, "taxonomy_terms.csv")}
    assert "resdir-eligibility:income_limit_fpl" in terms and "food" in terms


# -- round trip ------------------------------------------------------------------------

# What legitimately changes between the two exports: every id (the importer gives new rows
# new ids; category terms are created per database) and the times the rows were written.
VOLATILE = {"id", "last_modified", "updated", "metadata"}


def normalize(value):
    """Drop ids and write times; sort lists, so that two exports of the same data compare."""
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()
                if k not in VOLATILE and not k.endswith("_id")}
    if isinstance(value, list):
        return sorted((normalize(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


@pytest.mark.parametrize("form", ["json", "datapackage"])
def test_round_trip_through_the_importer(mini, make_service, runner, tmp_path, database_url,
                                         form):
    from flask_migrate import upgrade

    from resdir import create_app
    from resdir.directory import operations
    from resdir.interop import hsds_import

    make_service("Safe Harbor Shelter", confidential=True, capacity_status="capacity",
                 capacity_available=2, capacity_maximum=12)
    _rich_service(mini, make_service)
    first = _export(runner, tmp_path / "first")
    other = create_app({"TESTING": True, "RESDIR_SECRET_KEY": "test-secret",
                        "RESDIR_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
                        "RESDIR_INDEX_DIR": str(tmp_path / "empty-index")})
    with other.app_context():
        upgrade(directory=other.extensions["migrate"].directory)
        operations.ensure_categories()
        db.session.commit()
        assert db.session.query(m.Service).count() == 0
        source = tmp_path / "first" / ("services.json" if form == "json" else "datapackage.json")
        hsds_import.import_path(str(source))
    second = _export(other.test_cli_runner(), tmp_path / "second")
    with other.app_context():
        indexing.search_index().close()
        db.session.remove()
        db.engine.dispose()
    assert len(second) == len(first)
    by_name = {s["name"]: s for s in second}
    for service in first:
        assert normalize(by_name[service["name"]]) == normalize(service), service["name"]


def test_contacts_and_organizations_without_programs_are_exported(app, runner, tmp_path):
    """Issue 11: the export left out contacts, and services.json (a list of programs) every
    organization without one. Real DC file: its contacts (some with phones) and its
    organizations that have no program."""
    from resdir.interop.hsds_import import import_path

    with app.app_context():
        report = import_path(EXTERNAL / "hsds-1.1-washington-dc-orservices", source="dc")
        assert report.ok, str(report)
        contacts = {c.id: c for c in db.session.query(m.Contact)}
        contact_phones = {p.id for c in contacts.values() for p in c.phones}
        with_programs = {s.organization_id for s in db.session.query(m.Service)}
        alone = {o.id for o in db.session.query(m.Organization)} - with_programs
        service_contacts = {c.id for c in contacts.values() if c.service_id}
    assert contacts and alone and service_contacts
    out = tmp_path / "hsds"
    services = _export(runner, out)
    organizations = json.loads((out / "organizations.json").read_text())
    assert alone <= {o["id"] for o in organizations}
    assert alone <= {row["id"] for row in _table(out, "organizations.csv")}
    assert {row["id"] for row in _table(out, "contacts.csv")} == set(contacts)
    assert {row["id"] for row in _table(out, "phones.csv") if row["contact_id"]} == contact_phones
    nested = {c["id"] for s in services for c in s.get("contacts", [])}
    assert nested == service_contacts
