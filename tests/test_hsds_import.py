"""HSDS import: every shared dataset, with its report; re-imports, dry runs, rollbacks,
agency uploads, search, and a 10,000-program file."""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from resdir.directory import models as m
from resdir.extensions import db
from resdir.interop import hsds_import
from resdir.interop.hsds_import import import_path

EXTERNAL = Path(__file__).resolve().parents[2] / "shared" / "external"
DC = EXTERNAL / "hsds-1.1-washington-dc-orservices"
OHANA = EXTERNAL / "ohana-san-mateo-county-sample"
CITY = EXTERNAL / "hsds-1.1-sample-data-example-city"
SPEC = EXTERNAL / "hsds-specification" / "v3.0" / "examples"


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def totals() -> dict[str, int]:
    return {model.__name__: count(model) for model in (
        m.Organization, m.Location, m.Address, m.Service, m.ServiceAtLocation, m.Phone,
        m.Schedule, m.Language, m.ServiceArea, m.Attribute, m.TaxonomyTerm, m.Taxonomy)}


def has(report, kind: str, file: str, row, field: str, words: str) -> bool:
    return any(e.kind == kind and e.file == file and (row is None or e.row == row)
               and e.field == field and words in e.reason for e in report.entries)


def missing(report, expected: list[tuple]) -> list[tuple]:
    """The (kind, file, row, field, words) entries of `expected` the report does not hold."""
    return [entry for entry in expected if not has(report, *entry)]


# What the Washington DC export needs repaired or skipped, each named by file, row and field.
DC_ENTRIES = [
    # the swapped join columns, read the other way round (all 1153 rows)
    ("repaired", "services_at_location.csv", 2, "service_id",
     "hold each other's ids in 1153 of 1153 rows"),
    # dangling ids
    ("skipped", "physical_addresses.csv", 35, "location_id", "'1295023062659721' was not imported"),
    ("skipped", "services.csv", 1125, "organization_id", "program skipped"),
    ("repaired", "locations.csv", 5, "organization_id",
     "used the organization of a program at this location"),
    # blank and unknown statuses, 12-hour times, unknown weekdays, messy ZIP and state
    ("repaired", "services.csv", 3, "status", "blank; set to 'active'"),
    ("repaired", "services.csv", 2, "status", "'Verified' read as"),
    ("repaired", "regular_schedules.csv", 303, "opens_at", "'8:30AM' read as 08:30"),
    ("repaired", "regular_schedules.csv", 303, "weekday", "days taken from original_text"),
    ("skipped", "regular_schedules.csv", 2, "weekday", "is blank"),
    ("repaired", "physical_addresses.csv", 270, "postal_code", "'20010`' normalized to 20010"),
    ("repaired", "physical_addresses.csv", 12, "state_province", "'DC ' normalized to 'DC'"),
    ("repaired", "services.csv", 2, "-", "more cells than the header"),
    ("repaired", "taxonomy.csv", 3, "parent_name", "used as parent_id"),
    ("repaired", "locations.csv", 214, "latitude", "(0, 0)"),
]

OHANA_ENTRIES = [
    ("repaired", "addresses.csv", 7, "postal_code", "'94025-9881' normalized to 94025"),
    ("repaired", "regular_schedules.csv", 10, "closes_at", "'4:00 PM' read as 16:00"),
    ("repaired", "regular_schedules.csv", 12, "closes_at",
     "'03:00' is before the opening time; read as 15:00"),
    ("skipped", "locations.csv", 23, "languages", "unknown language 'Taiwanese'"),
    ("skipped", "holiday_schedules.csv", 3, "closed", "special opening hours"),
    ("repaired", "holiday_schedules.csv", 2, "start_date", "a yearly closure (year 0001)"),
]


def service(name: str) -> m.Service:
    return db.session.scalars(select(m.Service).where(m.Service.name == name)).one()


def test_washington_dc_export_imports_with_its_repairs_and_skips(app):
    with app.app_context():
        report = import_path(DC)
        assert report.ok and report.applied and report.form == "HSDS 1.x CSV"
        assert report.source == "hsds-1.1-washington-dc-orservices"
        assert (report.created["organization"], report.created["location"],
                report.created["service"]) == (233, 414, 949)
        assert count(m.Service) == 949 and count(m.Organization) == 233
        assert missing(report, DC_ENTRIES) == []
        assert count(m.ServiceAtLocation) > 1000
        assert count(m.Address, m.Address.state_province == "DC ") == 0
        # Open Eligibility terms kept, and mapped to resdir's categories
        assert count(m.TaxonomyTerm, m.TaxonomyTerm.taxonomy_id != m.CATEGORY_TAXONOMY_ID) == 386
        food = db.session.scalars(select(m.TaxonomyTerm).where(
            m.TaxonomyTerm.taxonomy_id == m.CATEGORY_TAXONOMY_ID,
            m.TaxonomyTerm.code == "food")).one()
        assert count(m.Attribute, m.Attribute.taxonomy_term_id == food.id) >= 50


def test_ohana_dialect_imports(app):
    with app.app_context():
        report = import_path(OHANA)
        assert report.ok and report.form == "Ohana API CSV"
        assert dict(report.created) == {"organization": 8, "location": 22, "service": 23,
                                        "taxonomy": 2, "taxonomy_term": 387, "contact": 31}
        assert missing(report, OHANA_ENTRIES) == []
        assert count(m.Address, m.Address.postal_code.like("%-%")) == 0
        statuses = dict(db.session.execute(select(m.Service.name, m.Service.status)).all())
        assert statuses["Service with blank fields"] == "defunct"
        assert statuses["Service for Admin Test Location"] == "inactive"
        passport = service("Passport Photos")
        assert {c.code for c in passport.categories} == {"transportation", "legal"}
        assert {lang.code for lang in passport.languages} >= {"es", "ru", "tl", "yue"}
        assert passport.organization.name == "Example Agency"
        assert [(s.byday, f"{s.opens_at:%H:%M}", f"{s.closes_at:%H:%M}")
                for s in passport.schedules if not s.closed] == [
            ("MO", "08:00", "12:00"), ("MO", "14:00", "16:00"), ("WE", "10:00", "15:00")]
        assert {c.code for c in service("Main Library").categories} == {"education"}
        virtual = db.session.scalars(select(m.Location).where(
            m.Location.name == "Location with no phone")).one()
        assert virtual.location_type == "virtual" and virtual.latitude is None


def test_example_city_all_resources_and_simple(app):
    with app.app_context():
        report = import_path(CITY / "all_resources")
        assert report.ok and report.form == "HSDS 1.x CSV"
        assert (report.created["organization"], report.created["location"],
                report.created["service"]) == (10, 10, 13)
        # HTML becomes plain text (nh3): list items turn into "- " lines
        assert has(report, "repaired", "services.csv", 9, "description",
                   "HTML converted to plain text")
        text = service("Dear Teacher Skills Refresh").description
        assert "<" not in text and "- Digital Skills" in text
        assert service("Food Safety Program").status == "inactive"
        # missing coordinates come from the ZIP gazetteer
        assert has(report, "repaired", "locations.csv", 2, "latitude",
                   "placed at the centre of ZIP 10001")
        sanctuary = db.session.scalars(select(m.Location).where(
            m.Location.name == "Sanctuary on 5th Street")).one()
        assert sanctuary.latitude == pytest.approx(40.75, abs=0.05)
        assert sanctuary.timezone == "America/New_York"
        assert any(e.kind == "note" and e.file == "payments_accepted.csv"
                   for e in report.entries)
        # The same records (the same UUIDs) published under another source name update
        # what the first import made instead of duplicating it (issue 10, defect 6).
        simple = import_path(CITY / "simple")
        assert simple.ok and simple.source == "hsds_simple_sample"
        assert simple.created["service"] == 0 and simple.imported("service") == 13
        assert count(m.Service) == 13


@pytest.mark.parametrize("name, created", [
    ("service_full.json", {"organization": 1, "location": 1, "service": 1, "taxonomy": 1,
                           "taxonomy_term": 1, "contact": 1}),
    ("service_list.json", {"organization": 1, "service": 1}),
    ("organization_full.json", {"organization": 1, "location": 1, "service": 1,
                                "taxonomy": 1, "taxonomy_term": 1, "contact": 1}),
    ("organization_list.json", {"organization": 1}),
    ("service_at_location_full.json", {"organization": 1, "location": 1, "service": 1,
                                       "taxonomy": 1, "taxonomy_term": 1, "contact": 1}),
    ("service_at_location_list.json", {"organization": 1, "location": 1, "service": 1}),
    ("tabular.json", {"organization": 1, "location": 1, "service": 1, "taxonomy": 2,
                      "taxonomy_term": 1, "contact": 1}),
    ("taxonomy_term_list.json", {"taxonomy": 1, "taxonomy_term": 1}),
    ("taxonomy.json", {"taxonomy": 1}),
    ("location.json", {}),
])
def test_spec_json_examples(app, name, created):
    with app.app_context():
        report = import_path(SPEC / name)
        assert report.ok, [str(e) for e in report.entries if e.kind == "fatal"]
        assert dict(report.created) == created
        if name == "location.json":  # a location alone names no organization
            assert has(report, "skipped", name, "$", "organization_id", "location skipped")
        if name == "service_full.json":
            counselling = service("Community Counselling")
            assert [s.byday for s in counselling.schedules] == ["TH", "FR"]
            assert counselling.minimum_age == 12 and counselling.phones[0].number == (
                "+44 1234 234567")
            assert has(report, "repaired", name, "$.service_at_locations[0].location", "latitude",
                       "(100.0, 101.0) is out of range")


def test_spec_csv_and_json_folders(app):
    with app.app_context():
        csv_report = import_path(SPEC / "csv")
        assert csv_report.ok and csv_report.form == "HSDS 3.0 CSV"
        assert csv_report.source == "examples-csv"
        assert has(csv_report, "skipped", "attributes.csv", 2, "link_id",
                   "'f28dd44b-0c4d-479f-8e90-4c52219a8b3c' was not imported")
        assert has(csv_report, "repaired", "locations.csv", 2, "organization_id",
                   "'985e4a42-bd9f-4edc-911d-0243a4640aca' is not an organization here")
        folder = import_path(SPEC)
        assert folder.ok and folder.source == "v3.0-examples"
        # the JSON examples hold the CSV's service (same UUID): found again, not duplicated
        assert folder.created["service"] == 0 and folder.imported("service") == 1
        assert has(folder, "note", "base.json", None, "-", "API root document")
        # the spec's UUIDs are kept as ids where they are free
        assert db.session.get(m.Service, "ac148810-d857-441c-9679-408f346de14b") is not None
        assert import_path(SPEC / "base.json").counts()["fatal"] == 1


def test_reimport_updates_instead_of_duplicating(app):
    with app.app_context():
        import_path(OHANA)
        import_path(DC)
        before = totals()
        again = import_path(OHANA)
        assert again.ok and not again.created and not again.updated
        assert again.unchanged["service"] == 23
        assert import_path(DC).unchanged["service"] == 949
        assert totals() == before


def test_reimport_applies_changes(app, tmp_path):
    doc = json.loads((SPEC / "service_full.json").read_text())
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(doc))
    with app.app_context():
        import_path(path)
        doc["name"] = "Community Counselling Plus"
        doc["schedules"][0]["byday"] = "MO"
        path.write_text(json.dumps(doc))
        report = import_path(path)
        assert report.updated["service"] == 1 and count(m.Service) == 1
        changed = service("Community Counselling Plus")
        assert [s.byday for s in changed.schedules] == ["MO"]


def test_dry_run_writes_nothing(app):
    with app.app_context():
        before = totals()
        report = import_path(DC, dry_run=True)
        assert report.ok and not report.applied and report.created["service"] == 949
        assert totals() == before
        assert count(m.IndexOutbox) == 0


def test_a_fatal_error_rolls_everything_back(app, monkeypatch):
    with app.app_context():
        import_path(OHANA)
        before = totals()
        original = hsds_import.apply.writing.services

        def fail_halfway(*args, **kwargs):
            original(*args, **kwargs)
            raise RuntimeError("disk full")

        monkeypatch.setattr(hsds_import.apply.writing, "services", fail_halfway)
        report = import_path(DC)
        assert not report.ok and not report.applied
        assert has(report, "fatal", "hsds-1.1-washington-dc-orservices", None, "-",
                   "RuntimeError: disk full")
        assert totals() == before


def test_unreadable_input_is_reported_not_raised(app, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with app.app_context():
        assert import_path(broken).counts()["fatal"] == 1
        assert import_path(tmp_path / "absent").counts()["fatal"] == 1
        (tmp_path / "notes").mkdir()
        (tmp_path / "notes" / "readme.txt").write_text("hello")
        assert import_path(tmp_path / "notes").counts()["fatal"] == 1


def test_html_is_sanitized_to_plain_text(app, tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps({
        "id": "s1", "name": "<b>Bold</b> Pantry", "status": "active",
        "description": '<p>Food &amp; more</p><script>alert(1)</script>'
                       '<a href="javascript:x" onclick="y">link</a>',
        "organization": {"id": "o1", "name": "Org"}}))
    with app.app_context():
        report = import_path(path)
        saved = service("Bold Pantry")
        assert saved.description == "Food & more\nlink"
        assert has(report, "repaired", "one.json", "$", "description",
                   "HTML converted to plain text")


def test_escaped_line_breaks_become_line_breaks(app, tmp_path):
    # 211 Miami's services.csv writes its descriptions' line breaks as a backslash and an n.
    path = tmp_path / "one.json"
    path.write_text(json.dumps({
        "id": "s1", "name": "BARIATRIC INFORMATION SESSION", "status": "active",
        "description": "A program for those who want to know everything about weight loss "
                       "surgery including gastric by-pass.\\n\\n*Note: Group takes place at "
                       "South Miami Hospital in the Victor E. Clarke Education Center, "
                       "Classroom F*",
        "alternate_name": "Files at C:\\newsletters",  # no line break: left as it is
        "organization": {"id": "o1", "name": "Org"}}))
    with app.app_context():
        report = import_path(path)
        saved = service("BARIATRIC INFORMATION SESSION")
        assert saved.description == (
            "A program for those who want to know everything about weight loss surgery "
            "including gastric by-pass.\n\n*Note: Group takes place at South Miami Hospital "
            "in the Victor E. Clarke Education Center, Classroom F*")
        assert saved.alternate_name == "Files at C:\\newsletters"
        assert has(report, "repaired", "one.json", "$", "description",
                   "escaped line breaks (\\n) turned into line breaks")


def test_a_configured_geocoder_places_street_addresses(app, tmp_path, monkeypatch):
    from resdir import geo

    asked = []

    def fake_geocode(address, geocoder="gazetteer", user_agent="resdir"):
        asked.append((address, geocoder))
        return (38.9, -77.0)

    monkeypatch.setattr(geo, "geocode", fake_geocode)
    app.config["RESDIR_GEOCODER"] = "nominatim"
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"id": "s1", "name": "Pantry", "status": "active",
                                "organization": {"id": "o1", "name": "Org"},
                                "service_at_locations": [{"id": "x", "location": {
                                    "id": "l1", "organization_id": "o1", "addresses": [{
                                        "address_1": "1 Main St", "city": "Washington",
                                        "state_province": "DC", "postal_code": "20001"}]}}]}))
    with app.app_context():
        report = import_path(path)
        assert asked == [("1 Main St, Washington, DC, 20001", "nominatim")]
        assert has(report, "repaired", "one.json", "$.service_at_locations[0].location",
                   "latitude", "geocoded from the address with nominatim")
        assert db.session.get(m.Location, "l1") is None  # "l1" is not a UUID: a new id
        assert db.session.scalars(select(m.Location.latitude)).one() == 38.9


def test_agency_upload_is_limited_to_its_own_organization(app):
    with app.app_context():
        import_path(OHANA)
        agency = db.session.scalars(select(m.Organization).where(
            m.Organization.name == "Samaritan House")).one()
        agency_id = agency.id
        before = totals()
        refused = import_path(OHANA, organization_id=agency_id)
        assert not refused.ok and not refused.applied
        assert has(refused, "refused", "organizations.csv", 2, "id",
                   "'Peninsula Family Service' is not 'Samaritan House'")
        assert totals() == before
        # a file about one organization is taken as the agency's own
        own = import_path(SPEC / "service_list.json", organization_id=agency_id)
        assert own.ok and own.applied and own.created["service"] == 1
        assert service("Community Counselling").organization_id == agency_id
        assert count(m.Organization) == before["Organization"]


def test_imported_programs_are_searchable(app, client):
    with app.app_context():
        import_path(OHANA)
    body = client.get("/api/v1/search?q=passport").get_json()
    assert "Passport Photos" in [r["name"] for r in body["results"]]
    body = client.get("/api/v1/search?q=library&category=education").get_json()
    assert "Main Library" in [r["name"] for r in body["results"]]


def test_cli_dispatches_and_reports(app, runner):
    result = runner.invoke(args=["resdir", "import", str(OHANA), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Ohana API CSV" in result.output and "dry run: nothing was written" in result.output
    assert "'94025-9881' normalized to 94025" in result.output
    with app.app_context():
        assert count(m.Service) == 0
    result = runner.invoke(args=["resdir", "import", str(SPEC / "base.json")])
    assert result.exit_code != 0 and "no HSDS records found" in result.output
    result = runner.invoke(args=["resdir", "import", str(OHANA / "services.csv")])
    assert result.exit_code == 0 and "service: 23 created" in result.output


def _programs(n: int, orgs: int) -> list[dict]:
    rnd = random.Random(7)
    words = ["food", "pantry", "housing", "rent", "legal", "clinic", "job", "meals", "shelter"]
    org_ids = [str(uuid.UUID(int=rnd.getrandbits(128))) for _ in range(orgs)]
    out = []
    for i in range(n):
        sid, lid = (str(uuid.UUID(int=rnd.getrandbits(128))) for _ in range(2))
        out.append({
            "id": sid, "name": f"Program {i} {rnd.choice(words)}", "status": "active",
            "description": " ".join(rnd.choice(words) for _ in range(30)),
            "organization": {"id": org_ids[i % orgs], "name": f"Organization {i % orgs}"},
            "phones": [{"id": f"{sid}-p", "number": f"202-555-{i % 10000:04d}"}],
            "schedules": [{"id": f"{sid}-s", "freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR",
                           "opens_at": "09:00", "closes_at": "17:00"}],
            "languages": [{"id": f"{sid}-l", "code": "en", "name": "English"}],
            "attributes": [{"id": f"{sid}-a", "taxonomy_term": {
                "id": "oe-102-04", "code": "102-04", "name": "Food Pantry",
                "taxonomy_detail": {"id": "oe", "name": "Open Eligibility"}}}],
            "service_at_locations": [{"id": f"{sid}-sal", "location": {
                "id": lid, "name": f"Site {i}", "organization_id": org_ids[i % orgs],
                "addresses": [{"id": f"{lid}-a", "address_1": f"{i} Main St", "city": "DC",
                               "state_province": "DC", "postal_code": "2000" + str(i % 9 + 1),
                               "country": "US"}]}}],
        })
    return out


def test_ten_thousand_programs(app, client, tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps(_programs(10_000, 500)))
    with app.app_context():
        report = import_path(path)
        assert report.ok and report.applied
        assert (report.created["service"], report.created["organization"],
                report.created["location"]) == (10_000, 500, 10_000)
        assert count(m.Service) == 10_000 and count(m.Schedule) == 50_000
        assert count(m.Location, m.Location.latitude.is_(None)) == 0  # filled from the ZIPs
        food = db.session.scalars(select(m.TaxonomyTerm).where(
            m.TaxonomyTerm.taxonomy_id == m.CATEGORY_TAXONOMY_ID,
            m.TaxonomyTerm.code == "food")).one()
        assert count(m.Attribute, m.Attribute.taxonomy_term_id == food.id) == 10_000
    body = client.get("/api/v1/search?q=pantry&category=food").get_json()
    assert body["total"] > 1000
