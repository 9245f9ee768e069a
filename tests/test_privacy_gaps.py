"""Issue 9 item 11: what an agency's report reveals, audited refusals, script links."""

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from resdir.audit.models import AuditEvent
from resdir.directory import models as m
from resdir.directory import operations
from resdir.directory.csvcells import CsvImportError
from resdir.extensions import db
from resdir.interop.hsds_import import import_path

MINI = Path(__file__).parent / "data" / "mini.csv"
CONSENT = {"given": True, "method": "verbal", "scope": "Name, age, ZIP and the need"}
SCRIPT_URLS = ["javascript:alert(document.cookie)", "JavaScript:void(0)",
               "data:text/html;base64,PHNjcmlwdD4=", "vbscript:msgbox", "ftp://example.org/x"]


@pytest.fixture
def pantry(app):
    with app.app_context():
        return db.session.query(m.Service.id).filter_by(name="Hilltop Food Pantry").scalar()


def _refer(api, pantry, consent):
    client = api("POST", "/api/v1/clients", json={"name": "Wren Halvorsen", "zip": "15219"})
    body = {"client_id": client.get_json()["id"], "service_id": pantry,
            "need": "food-insecurity"} | ({"consent": consent} if consent else {})
    made = api("POST", "/api/v1/referrals", json=body)
    assert made.status_code == 201
    return made.get_json() | {"client_id": body["client_id"]}


def _report_rows(client) -> list[dict]:
    response = client.get("/reports/referrals.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_agency_report_never_counts_drafts(app, api, people, pantry):
    _refer(api, pantry, None)  # a draft: no consent yet
    draft_cancelled = _refer(api, pantry, None)
    cancelled = api("PATCH", f"/api/v1/referrals/{draft_cancelled['id']}",
                    json={"status": "cancelled", "version": draft_cancelled["version"],
                          "reason": "client-declined"})
    assert cancelled.status_code == 200, cancelled.get_json()
    _refer(api, pantry, CONSENT)  # sent
    agency = _report_rows(people.login(app.test_client(), "agency_a"))
    counts = {r["key"]: r["value"] for r in agency if r["section"] == "status"}
    assert counts.get("draft") in (None, "0") and counts.get("cancelled") in (None, "0")
    assert counts["requested"] == "1"
    assert [r["value"] for r in agency if r["section"] == "agency"] == ["1"]
    coordinator = _report_rows(people.login(app.test_client(), "coord_a"))
    mine = {r["key"]: r["value"] for r in coordinator if r["section"] == "status"}
    assert mine["draft"] == "1" and mine["cancelled"] == "1"  # the referrer still sees them


def _events(app, action):
    with app.app_context():
        return [(e.user_id, e.record_id, e.outcome) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


def test_refused_reads_of_clients_and_referrals_are_audited(app, api, people, pantry):
    referral = _refer(api, pantry, CONSENT)
    client_id = referral["client_id"]
    assert api("GET", f"/api/v1/clients/{client_id}", who="coord_b").status_code == 404
    assert api("GET", f"/api/v1/referrals/{referral['id']}", who="agency_b").status_code == 404
    assert api("GET", "/api/v1/clients/no-such-id", who="coord_b").status_code == 404
    clients, referrals = _events(app, "client.read"), _events(app, "referral.read")
    assert (people.ids["coord_b"], client_id, "refused") in clients
    assert (people.ids["coord_b"], None, "not-found") in clients
    assert (people.ids["agency_b"], referral["id"], "refused") in referrals
    page = people.login(app.test_client(), "coord_b")
    assert page.get(f"/clients/{client_id}").status_code == 404
    assert _events(app, "client.read").count((people.ids["coord_b"], client_id, "refused")) == 2


def _mini_with(tmp_path, column: str, value: str) -> Path:
    with MINI.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[1][column] = value
    path = tmp_path / "links.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("column", ["program_url", "organization_url"])
def test_csv_import_refuses_script_urls(app, tmp_path, column):
    for url in SCRIPT_URLS:
        with app.app_context():
            with pytest.raises(CsvImportError) as caught:
                operations.import_csv(_mini_with(tmp_path, column, url))
            problem = caught.value.problems[0]
            assert (problem.file, problem.row, problem.column) == ("links.csv", 3, column)
            assert "http:// or https://" in problem.reason
            assert db.session.query(m.Service).count() == 0  # nothing half-applied


def test_csv_import_keeps_web_addresses(app, tmp_path):
    with app.app_context():
        operations.import_csv(_mini_with(tmp_path, "program_url", "https://example.org/a?b=c"))
        assert db.session.query(m.Service).filter_by(url="https://example.org/a?b=c").count()


@pytest.mark.parametrize(("where", "field"), [("service", "url"),
                                               ("organization", "website")])
def test_hsds_import_leaves_script_urls_out(app, tmp_path, where, field):
    for n, url in enumerate(SCRIPT_URLS):
        service = {"id": f"s{n}", "name": f"Pantry {n}", "status": "active",
                   "organization": {"id": "o1", "name": "Org"}}
        (service if where == "service" else service["organization"])[field] = url
        path = tmp_path / "feed.json"
        path.write_text(json.dumps(service))
        with app.app_context():
            report = import_path(path)
            skipped = [e for e in report.entries if e.kind == "skipped"]
            assert skipped and skipped[0].field.endswith(field), report.entries
            assert "http:// or https://" in skipped[0].reason
            saved = db.session.query(m.Service).filter_by(name=f"Pantry {n}").one()
            assert saved.url is None and saved.organization.website in (None, "")


def test_hsds_import_adds_the_scheme_to_a_bare_domain(app, tmp_path):
    path = tmp_path / "feed.json"
    path.write_text(json.dumps({"id": "s1", "name": "Pantry", "status": "active",
                                "url": "www.example.org/pantry",
                                "organization": {"id": "o1", "name": "Org"}}))
    with app.app_context():
        report = import_path(path)
        assert report.ok
        assert db.session.query(m.Service).one().url == "https://www.example.org/pantry"
