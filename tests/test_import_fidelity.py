"""Import fidelity on real files: language cells, interpreter notes, repeated child ids,
places from ZIPs, mailing addresses and skip reasons.

The language cells below are copied from 211 Miami's languages.csv (shared/external/
hsds-1.1-open211-miami, CC-BY-SA-4.0 as its datapackage.json declares; test data only)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from resdir import geo
from resdir.directory import models as m
from resdir.extensions import db
from resdir.interop.hsds_import import import_path

EXTERNAL = Path(__file__).resolve().parents[2] / "shared" / "external"


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def entries(report, kind: str, field: str) -> list[str]:
    return [e.reason for e in report.entries if e.kind == kind and e.field == field]


ORGS = "id,name,description\n1590,Bayfront Services,Family help.\n"
SERVICES = ("id,organization_id,name,description,status,interpretation_services\n"
            "1590,1590,Family Counseling,Counseling for families.,active,\n")
# Miami gives every language row of a program the program's id (1590 here)
LANGUAGES = ("id,service_id,location_id,language\n"
             "1590,1590,,English and Spanish\n"
             "1590,1590,,\"Spanish, French.\"\n"
             "1590,1590,,Hebrew. Interpreters available as needed.\n"
             "1590,1590,,Language line available\n"
             "1590,1590,,Spanish and German\n"
             "1590,1590,,Creole (limited)\n")


def test_language_cells_are_split_and_interpreter_notes_kept(app, tmp_path):
    folder = write(tmp_path / "miami", {"organizations.csv": ORGS, "services.csv": SERVICES,
                                        "languages.csv": LANGUAGES})
    with app.app_context():
        report = import_path(folder)
        assert report.ok, str(report)
        service = db.session.scalars(select(m.Service)).one()
        assert {lang.code for lang in service.languages} == {"en", "es", "fr", "he", "de", "ht"}
        assert "Interpreters available as needed" in service.interpretation_services
        assert "Language line available" in service.interpretation_services
        assert not list(entries(report, "skipped", "language"))
        assert any("kept as rows of their own" in r for r in entries(report, "repaired", "id"))


def test_military_zips_at_zero_zero_are_unknown(app):
    """The gazetteer holds 872 ZIPs (APO/FPO ...) at latitude 0, longitude 0."""
    with pytest.raises(geo.UnknownZip, match="not in the gazetteer"):
        geo.lookup_zip("09000")
    client = app.test_client()
    response = client.get("/api/v1/search?q=food&zip=09000")
    assert response.status_code == 400
    assert "09000" in response.get_json()["error"]["message"]


def test_a_location_is_never_placed_from_its_mailing_address(app, tmp_path):
    folder = write(tmp_path / "mail", {
        "organizations.csv": "id,name\no1,Hill Services\n",
        "locations.csv": "id,organization_id,name,latitude,longitude\nl1,o1,Head office,,\n",
        "postal_addresses.csv": "id,location_id,address_1,city,state_province,postal_code,"
                                "country\np1,l1,PO Box 12,Pittsburgh,PA,15213,US\n",
        "services.csv": "id,organization_id,name,description,status\ns1,o1,Rides,Rides.,active\n",
        "services_at_location.csv": "id,service_id,location_id\n1,s1,l1\n",
    })
    with app.app_context():
        report = import_path(folder)
        assert report.ok, str(report)
        location = db.session.scalars(select(m.Location)).one()
        assert location.latitude is None and location.longitude is None
        assert location.timezone == "America/New_York"  # near enough for the clock
        assert any("only a mailing address" in r for r in entries(report, "note", "latitude"))


def test_ohana_program_with_blank_location_names_location_id(app, tmp_path):
    source = EXTERNAL / "ohana-san-mateo-county-sample"
    folder = tmp_path / "ohana"
    folder.mkdir()
    for name in ("organizations.csv", "locations.csv", "addresses.csv", "mail_addresses.csv"):
        shutil.copy(source / name, folder / name)
    lines = (source / "services.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    # the first program of the real file, with its location_id blanked
    first = lines[1].split(",", 2)
    (folder / "services.csv").write_text(lines[0] + f"{first[0]},,{first[2]}",
                                         encoding="utf-8")
    with app.app_context():
        report = import_path(folder)
        assert any("is blank" in r and "location" in r
                   for r in entries(report, "skipped", "location_id"))
        assert not entries(report, "skipped", "organization_id")


def test_contacts_their_phones_and_organization_phones_are_stored(app):
    """San Mateo's contacts (31) with their phones; DC's organization-level phones."""
    with app.app_context():
        report = import_path(EXTERNAL / "ohana-san-mateo-county-sample")
        assert report.created["contact"] == 31
        susan = db.session.scalars(select(m.Contact).where(
            m.Contact.name == "Susan Houston")).one()
        assert susan.title == "Director of Older Adult Services"
        assert susan.organization_id is not None
        with_phones = db.session.scalars(select(m.Contact).where(
            m.Contact.phones.any())).all()
        assert with_phones and all(p.number for c in with_phones for p in c.phones)
        assert not any(e.field == "contact_id" and "not stored" in e.reason
                       for e in report.entries)
        again = import_path(EXTERNAL / "ohana-san-mateo-county-sample")
        assert again.unchanged["contact"] == 31 and again.created["contact"] == 0
        dc = import_path(EXTERNAL / "hsds-1.1-washington-dc-orservices")
        assert dc.created["contact"] > 50
        own = db.session.scalars(select(m.Phone).where(
            m.Phone.service_id.is_(None), m.Phone.contact_id.is_(None),
            m.Phone.organization_id.isnot(None))).all()
        assert len(own) >= 20


def _child_ids(service_key: str) -> dict[str, dict[str, str]]:
    service = db.session.scalars(select(m.Service).where(
        m.Service.source_key == service_key)).one()
    location = service.service_at_locations[0].location
    return {"phones": {p.id: p.number for p in service.phones},
            "schedules": {s.id: str(s.opens_at) for s in service.schedules},
            "addresses": {a.id: a.address_1 for a in location.addresses}}


def test_child_ids_are_kept_when_the_same_source_is_imported_again(app, tmp_path):
    """Issue 11: a re-import replaced a program's changed phones, hours and addresses with
    rows under new ids, so every id an HSDS consumer had kept broke. Real DC file, its
    program 1194701188927394 with one phone edited, and one address edited."""
    folder = tmp_path / "dc"
    shutil.copytree(EXTERNAL / "hsds-1.1-washington-dc-orservices", folder)
    key = "hsds:dc:service:1194701188927394"
    with app.app_context():
        assert import_path(folder, source="dc").ok
        first = _child_ids(key)
        assert first["phones"] and first["addresses"]
        phones = folder / "phones.csv"
        phones.write_text(phones.read_text().replace("(202) 448-1450", "(202) 448-1499"))
        old_street = next(iter(first["addresses"].values()))
        addresses = folder / "physical_addresses.csv"
        addresses.write_text(addresses.read_text().replace(f'"{old_street}"',
                                                           f'"{old_street} Rear"'))
        db.session.remove()
        report = import_path(folder, source="dc")
        assert report.ok and report.updated["service"] >= 1, str(report)
        second = _child_ids(key)
    assert list(second["phones"].values()) == ["(202) 448-1499"]
    assert second["phones"].keys() == first["phones"].keys()
    assert list(second["addresses"].values()) == [f"{old_street} Rear"]
    assert second["addresses"].keys() == first["addresses"].keys()
    assert second["schedules"] == first["schedules"]


def test_hsds_3_1_capacities_are_read_and_fields_not_kept_are_reported(app, tmp_path):
    """Issue 11: HSDS 3.1 `capacities` were dropped without a word, as was every field
    resdir has no place for. Now the capacity is the program's, and the report names, per
    table, the fields it did not keep (and none it kept)."""
    path = tmp_path / "shelter.json"
    path.write_text(json.dumps({
        "id": "7c0e5b8e-4b8f-4d59-9a43-1f3b5d0c2a11", "name": "Harbor Night Shelter",
        "status": "active", "description": "Beds for adults.", "wait_time": "2 weeks",
        "organization": {"id": "7c0e5b8e-4b8f-4d59-9a43-1f3b5d0c2a12", "name": "Harbor House",
                         "year_incorporated": 1974},
        "capacities": [{"id": "cap-1", "available": 3, "maximum": 40, "description": "waitlist",
                        "updated": "2026-11-20T10:00:00Z",
                        "unit": {"id": "unit-1", "name": "Beds", "scheme": "x",
                                 "identifier": "bed"}},
                       {"id": "cap-2", "available": 1, "unit": {"id": "unit-2", "name": "Cribs"}}],
    }))
    with app.app_context():
        report = import_path(path)
        assert report.ok, str(report)
        service = db.session.scalars(select(m.Service)).one()
        assert (service.capacity_available, service.capacity_maximum,
                service.capacity_status) == (3, 40, "waitlist")
        assert service.capacity_updated.replace(tzinfo=None).isoformat() == "2026-11-20T10:00:00"
    notes = [e.reason for e in report.entries if e.kind == "note"]
    assert "service fields not kept (resdir has no place for them): wait_time" in notes
    assert ("organization fields not kept (resdir has no place for them): year_incorporated"
            in notes)
    assert any("one capacity per program" in r for r in entries(report, "skipped", "id"))
