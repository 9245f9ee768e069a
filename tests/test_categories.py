"""Categories for every program: the taxonomy crosswalk (AIRS/211 LA prefixes, Open
Eligibility ids and codes, names), the data-package layout, coverage in the import report,
and the admins' crosswalk page.

tests/data/airs_package is the layout of 211 Miami's HSDS 1.1 package (datapackage.json
beside data/) with AIRS-style codes; its term names are our own words, not AIRS names."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select

from resdir.categorize.crosswalk import Crosswalk, airs_prefixes, read_file
from resdir.directory import models as m
from resdir.extensions import db
from resdir.interop.hsds_import import import_path

DATA = Path(__file__).parent / "data"
PACKAGE = DATA / "airs_package"


def cats(name: str) -> set[str]:
    service = db.session.scalars(select(m.Service).where(m.Service.name == name)).one()
    return {c.code for c in service.categories}


def note(report, words: str) -> bool:
    return any(e.kind == "note" and words in e.reason for e in report.entries)


def test_data_package_root_with_data_folder_imports(app):
    """datapackage.json beside data/ (211 Miami's layout) was 'unknown, source ""'."""
    with app.app_context():
        report = import_path(PACKAGE)
        assert report.ok, str(report)
        assert report.form == "HSDS 1.x CSV" and report.created["service"] == 4
        # the same source as importing its data/ folder: a second import updates
        again = import_path(PACKAGE / "data")
        assert again.source == report.source and again.created["service"] == 0


def test_airs_codes_by_longest_prefix_and_coverage_in_report(app):
    with app.app_context():
        report = import_path(PACKAGE)
        assert cats("Saturday Pantry") == {"food"}          # BD-1800.2000 -> BD
        assert cats("Little Steps Daycare") == {"childcare"}  # PH-1250 beats P and PH
        assert cats("Hot Meals Tonight") == {"food"}          # a name the crosswalk knows
        # a target-population code (Y...) says who, not what: Seniors Club has no known term
        assert note(report, "3 of 4 programs categorized from taxonomy terms; 1 without a "
                            "known term")


def test_ohana_ids_without_their_table_are_read_most_specific_first(app, tmp_path):
    """`101-03` (Emergency Food) is food, not safety (its top level, Emergency)."""
    folder = tmp_path / "ohana"
    folder.mkdir()
    for name in ("organizations.csv", "locations.csv", "addresses.csv", "mail_addresses.csv"):
        shutil.copy(Path(__file__).resolve().parents[2] / "shared" / "external"
                    / "ohana-san-mateo-county-sample" / name, folder / name)
    header = ("id,location_id,program_id,accepted_payments,alternate_name,application_process,"
              "audience,description,eligibility,email,fees,funding_sources,"
              "interpretation_services,keywords,languages,name,required_documents,"
              "service_areas,status,wait_time,website,taxonomy_ids\n")
    rows = ('1,1,,,,,,Hot meals.,,,,,,,,Meal Program,,,active,,,"101-03"\n'
            '2,1,,,,,,Bills.,,,,,,,,Bill Help,,,active,,,"101-02-06, 108"\n')
    (folder / "services.csv").write_text(header + rows, encoding="utf-8")
    with app.app_context():
        report = import_path(folder)
        assert report.ok, str(report)
        assert cats("Meal Program") == {"food"}
        assert cats("Bill Help") == {"utilities"}


def test_crosswalk_lookup_order():
    walk = Crosswalk(read_file())
    assert airs_prefixes("BD-1800.2000-100") == ["BD-1800.2000-100", "BD-1800.2000", "BD-1800",
                                                 "BD", "B"]
    assert walk.term("anything", "RX-8450.1000") == (True, "mental-health")
    assert walk.term("anything", "NL-6000.2000-220") == (True, "food")   # SNAP before NL
    assert walk.term("anything", "YF-1700") == (True, None)              # populations
    assert walk.term("Emergency Food", None) == (True, "food")
    assert walk.term(None, "1120") == (True, "food")                     # OE code
    assert walk.code_only("101-02-06-99") == (True, "utilities")         # an unknown child
    assert walk.term("Unheard of", "Q17") == (False, None)


def test_admin_changes_a_rule_and_the_next_import_uses_it(app, client, people, csrf_token):
    people.login(client, "admin")
    token = csrf_token(client, "/categories/crosswalk")
    response = client.post("/categories/crosswalk", data={
        "scheme": "airs", "match": "yb", "category": "health", "note": "test",
        "csrf_token": token})
    assert response.status_code == 303
    page = client.get("/categories/crosswalk?scheme=airs&q=yb").get_data(as_text=True)
    assert "YB" in page and "health" in page
    with app.app_context():
        import_path(PACKAGE)
        assert cats("Seniors Club") == {"health"}
    bad = client.post("/categories/crosswalk", data={
        "scheme": "airs", "match": "BD", "category": "nonsense", "csrf_token": token})
    assert bad.status_code == 400 and "nonsense" in bad.get_data(as_text=True)


def test_only_admins_change_the_crosswalk(app, client, people, csrf_token):
    people.login(client, "coord_a")
    token = csrf_token(client, "/categories/crosswalk")
    response = client.post("/categories/crosswalk", data={
        "scheme": "airs", "match": "BD", "category": "health", "csrf_token": token})
    assert response.status_code == 403
    with app.app_context():
        from resdir.categorize.operations import rules

        assert [r.category for r in rules() if (r.scheme, r.match) == ("airs", "BD")] == ["food"]
