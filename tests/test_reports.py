"""The referrals report: counts, loop closure, medians, service gaps, CSV and charts."""

from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import render_template
from werkzeug.datastructures import MultiDict

from resdir.directory import models as m
from resdir.extensions import db
from resdir.matching.models import Client
from resdir.referrals import report_charts, report_csv, reports
from resdir.referrals.models import Referral

EVIL = "=cmd|' /C calc'!A0"


def _at(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@pytest.fixture
def seeded(app, people):
    """Ten referrals with known statuses, needs, agencies, months, ZIPs and timings.

    n  care need     agency      status            created     reply  close  client ZIP
    1  A    food     pantry      completed         2025-01-05  4h     48h    15213
    2  A    food     pantry      rejected/capacity 2025-01-10  10h    10h    15213
    3  A    food     pantry      rejected/capacity 2025-02-03  20h    20h    15201
    4  A    housing  pantry      rejected/elig.    2025-02-15  2h     2h     15213
    5  A    stress   counseling  accepted          2025-03-01  30h    -      15201
    6  A    food     pantry      draft             2025-03-02  -      -      15213
    7  A    food     pantry      cancelled (draft) 2025-03-03  -      -      15213
    8  A    food     pantry      entered-in-error  2025-03-04  1h     -      15213
    9  B    food     pantry      failed            2025-05-20  6h     100h   15213
    10 A    housing  counseling  rejected/other    2025-03-05  8h     8h     (none)
    """
    with app.app_context():
        services = {s.name: s.id for s in db.session.query(m.Service)}
        a, b = people.care["coord_a"], people.care["coord_b"]
        clients = {
            "a13": Client(care_organization_id=a, facts={"zip": "15213"}),
            "a01": Client(care_organization_id=a, facts={"zip": "15201"}),
            "anone": Client(care_organization_id=a, facts={}),
            "b13": Client(care_organization_id=b, facts={"zip": "15213"}),
        }
        db.session.add_all(clients.values())
        db.session.flush()
        program = {"pantry": (services["Hilltop Food Pantry"], people.pantry_org),
                   "rent": (services["Emergency Rent Assistance"], people.pantry_org),
                   "counseling": (services["Sliding Scale Counseling"], people.counseling_org)}
        rows = [
            ("a13", "food-insecurity", "pantry", "completed", None, "2025-01-05", 4, 48),
            ("a13", "food-insecurity", "pantry", "rejected", "no-capacity", "2025-01-10", 10,
             10),
            ("a01", "food-insecurity", "pantry", "rejected", "no-capacity", "2025-02-03", 20,
             20),
            ("a13", "housing-instability", "rent", "rejected", "not-eligible", "2025-02-15", 2,
             2),
            ("a01", "stress", "counseling", "accepted", None, "2025-03-01", 30, None),
            ("a13", "food-insecurity", "pantry", "draft", None, "2025-03-02", None, None),
            ("a13", "food-insecurity", "pantry", "cancelled", "client-declined", "2025-03-03",
             None, None),
            ("a13", "food-insecurity", "pantry", "entered-in-error", None, "2025-03-04", 1,
             None),
            ("b13", "food-insecurity", "pantry", "failed", "could-not-contact", "2025-05-20", 6,
             100),
            ("anone", "housing-instability", "counseling", "rejected", "other", "2025-03-05", 8,
             8),
        ]
        ids = []
        for client, need, prog, status, reason, day, reply, close in rows:
            created = _at(day)
            requested = None if status in ("draft", "cancelled") else created
            referral = Referral(
                client_id=clients[client].id, service_id=program[prog][0],
                agency_organization_id=program[prog][1], need_code=need,
                care_organization_id=clients[client].care_organization_id,
                referrer_id=people.ids["coord_a" if client.startswith("a") else "coord_b"],
                status=status, status_reason=reason, created_at=created,
                requested_at=requested,
                responded_at=created + timedelta(hours=reply) if reply is not None else None,
                closed_at=created + timedelta(hours=close) if close is not None else None,
                reason_text=EVIL if reason == "other" else None,
            )
            if status == "cancelled":
                referral.closed_at = created + timedelta(hours=3)
            db.session.add(referral)
            db.session.flush()
            ids.append(referral.id)
        db.session.commit()
    return ids


def _counts(rows) -> dict:
    return {r.key: r.count for r in rows}


def _reasons(rows) -> dict:
    return {(r.key, r.reason): r.count for r in rows}


def test_admin_summary_counts_rate_and_medians(app, seeded, people):
    with app.app_context():
        report = reports.summary({})
    assert report.total == 10
    assert [c.key for c in report.by_status] == list(reports.STATUSES)
    assert {k: n for k, n in _counts(report.by_status).items() if n} == {
        "completed": 1, "rejected": 4, "accepted": 1, "draft": 1, "cancelled": 1,
        "entered-in-error": 1, "failed": 1}
    assert _counts(report.by_need) == {"food-insecurity": 7, "housing-instability": 2,
                                       "stress": 1}
    assert report.by_need[0].label == "Food Insecurity"
    assert _counts(report.by_agency) == {people.pantry_org: 8, people.counseling_org: 2}
    assert [c.label for c in report.by_agency] == ["Hilltop Community Pantry",
                                                   "Three Rivers Counseling Collective"]
    # months in order, the empty April included so the axis is honest
    assert [(c.key, c.count) for c in report.by_month] == [
        ("2025-01", 2), ("2025-02", 2), ("2025-03", 5), ("2025-04", 0), ("2025-05", 1)]
    assert report.months[0].by_status == {"completed": 1, "rejected": 1}
    # requested = left draft and not entered in error: 1, 2, 3, 4, 5, 9, 10
    assert report.requested == 7
    assert report.closed == 6
    assert report.closure_rate == pytest.approx(6 / 7)
    # replies 2, 4, 6, 8, 10, 20, 30 (the entered-in-error 1h is left out)
    assert report.responded == 7
    assert report.median_hours_to_response == 8.0
    # closes 2, 8, 10, 20, 48, 100 (the cancelled draft was never requested)
    assert report.closed_timed == 6
    assert report.median_hours_to_close == 15.0


def test_month_status_split_follows_status_order(app, seeded):
    with app.app_context():
        report = reports.summary({})
    march = report.months[2]
    assert march.month == "2025-03"
    assert march.by_status == {"draft": 1, "accepted": 1, "rejected": 1, "cancelled": 1,
                               "entered-in-error": 1}
    assert list(march.by_status) == ["draft", "accepted", "rejected", "cancelled",
                                     "entered-in-error"]
    assert [c.label for c in march.status_counts][-1] == "Entered in error"
    assert report.months[3].by_status == {}


def test_rejection_reasons_by_need_and_zip(app, seeded):
    with app.app_context():
        report = reports.summary({})
    assert _reasons(report.rejections_by_need) == {
        ("food-insecurity", "no-capacity"): 2,
        ("housing-instability", "not-eligible"): 1,
        ("housing-instability", "other"): 1,
    }
    food = next(r for r in report.rejections_by_need if r.key == "food-insecurity")
    assert (food.label, food.reason_label) == ("Food Insecurity", "No capacity")
    assert _reasons(report.rejections_by_zip) == {
        ("15201", "no-capacity"): 1,
        ("15213", "no-capacity"): 1,
        ("15213", "not-eligible"): 1,
        ("", "other"): 1,
    }
    assert report.rejections_by_zip[-1].label == "No ZIP recorded"
    assert report.rejected == 4


def test_scopes_limit_everything(app, seeded, people):
    with app.app_context():
        mine = reports.summary({"care_organization_id": people.care["coord_a"]})
        theirs = reports.summary({"care_organization_id": people.care["coord_b"]})
        counseling = reports.summary({"agency_organization_id": people.counseling_org})
        both = reports.summary({"care_organization_id": people.care["coord_b"],
                                "agency_organization_id": people.counseling_org})
    assert mine.total == 9
    assert [c.key for c in mine.by_month] == ["2025-01", "2025-02", "2025-03"]
    assert (mine.requested, mine.closed) == (6, 5)
    assert mine.median_hours_to_response == 9.0  # 2, 4, 8, 10, 20, 30
    assert mine.median_hours_to_close == 10.0  # 2, 8, 10, 20, 48
    assert theirs.total == 1 and _counts(theirs.by_need) == {"food-insecurity": 1}
    assert theirs.rejections_by_need == [] and theirs.closure_rate == 1.0
    assert counseling.total == 2
    assert _counts(counseling.by_agency) == {people.counseling_org: 2}
    assert counseling.closure_rate == 0.5
    assert _reasons(counseling.rejections_by_zip) == {("", "other"): 1}
    assert both.total == 0 and both.closure_rate is None
    assert both.median_hours_to_response is None and both.months == []


def test_since_is_a_utc_day_on_created_at(app, seeded):
    with app.app_context():
        report = reports.summary({}, since=date(2025, 2, 3))
        later = reports.summary({}, since=date(2025, 2, 4))
    assert report.total == 8 and report.since == date(2025, 2, 3)
    assert report.by_month[0].key == "2025-02"
    assert later.total == 7
    assert _reasons(later.rejections_by_need) == {("housing-instability", "not-eligible"): 1,
                                                  ("housing-instability", "other"): 1}


def test_unknown_scope_key_is_refused(app, seeded):
    with app.app_context(), pytest.raises(ValueError, match="care_org"):
        reports.summary({"care_org": "x"})


def test_empty_report(app):
    with app.app_context():
        report = reports.summary({})
    assert report.total == 0 and report.closure_rate is None and report.months == []
    assert all(c.count == 0 for c in report.by_status)
    assert report_charts.charts(report) == {}
    assert report_csv.to_csv(report).splitlines()[0] == ",".join(report_csv.CSV_COLUMNS)


def _csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_sections_and_values(app, seeded, people):
    with app.app_context():
        rows = _csv_rows(report_csv.to_csv(reports.summary({})))
    sections = {r["section"] for r in rows}
    assert sections == {"summary", "status", "need", "agency", "month", "month_status",
                        "rejections_by_need", "rejections_by_zip"}
    summary = {r["key"]: r["value"] for r in rows if r["section"] == "summary"}
    assert summary["total"] == "10"
    assert summary["closure_rate"] == "0.8571"
    assert summary["median_hours_to_response"] == "8.0"
    assert summary["median_hours_to_close"] == "15.0"
    assert summary["since"] == ""
    need = {r["key"]: (r["label"], r["value"]) for r in rows if r["section"] == "need"}
    assert need["food-insecurity"] == ("Food Insecurity", "7")
    gaps = [(r["key"], r["subkey"], r["sublabel"], r["value"]) for r in rows
            if r["section"] == "rejections_by_zip"]
    assert ("15213", "not-eligible", "Not eligible", "1") in gaps
    assert ("", "other", "Other", "1") in gaps
    month = [(r["key"], r["value"]) for r in rows if r["section"] == "month"]
    assert month[3] == ("2025-04", "0")


def test_csv_is_formula_injection_safe(app, seeded, people):
    with app.app_context():
        db.session.get(m.Organization, people.counseling_org).name = "=HYPERLINK(\"x\")"
        referral = db.session.query(Referral).filter_by(need_code="stress").one()
        referral.need_code = "+1+1"  # not a known need: shown by its code
        db.session.commit()
        text = report_csv.to_csv(reports.summary({}))
    rows = _csv_rows(text)
    agency = next(r for r in rows if r["section"] == "agency"
                  and r["key"] == people.counseling_org)
    assert agency["label"] == "'=HYPERLINK(\"x\")"
    need = next(r for r in rows if r["section"] == "need" and r["key"].endswith("+1+1"))
    assert (need["key"], need["label"]) == ("'+1+1", "'+1+1")
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    assert EVIL not in text  # free-text reasons stay out of the aggregate report


def test_charts_are_deterministic_svg_with_series_labels(app, seeded):
    with app.app_context():
        report = reports.summary({})
    drawn = report_charts.charts(report)
    assert set(drawn) == {"by_month", "rejections_by_need"}
    for svg in drawn.values():
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg
        assert "<script" not in svg
    months = drawn["by_month"]
    for label in ("Completed", "Rejected", "Accepted", "Draft", "Failed", "Entered in error",
                  "2025-01", "2025-04", "2025-05"):
        assert label in months, label
    assert "In progress" not in months  # no series for a status nobody is in
    gaps = drawn["rejections_by_need"]
    for label in ("Food Insecurity", "Housing Instability", "No capacity", "Not eligible",
                  "Other"):
        assert label in gaps, label
    assert "Stress" not in gaps
    assert report_charts.charts(report) == drawn  # same report, same bytes


def test_chart_data_uri_round_trips():
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><text>Café</text></svg>'
    uri = report_charts.chart_data_uri(svg)
    assert uri.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]).decode("utf-8") == svg


def test_alt_text_summarises_each_chart(app, seeded):
    with app.app_context():
        report = reports.summary({})
    by_month = report.alt_text("by_month")
    assert "2025-01" in by_month and "2025-05" in by_month and "10 in all" in by_month
    assert "2025-03 with 5" in by_month
    gaps = report.alt_text("rejections_by_need")
    assert "4 rejected" in gaps and "Food Insecurity (2)" in gaps and "No capacity (2)" in gaps


def test_template_renders_tables_charts_and_csv_link(app, seeded, people):
    args = MultiDict({"since": "2025-01-01"})
    with app.test_request_context("/reports/referrals?since=2025-01-01"):
        report = reports.summary({}, since=date(2025, 1, 1))
        charts = {k: report_charts.chart_data_uri(v)
                  for k, v in report_charts.charts(report).items()}
        html = render_template("referrals/report.html", report=report, charts=charts,
                               args=args)
    assert "<script" not in html and "style=" not in html
    assert 'name="since" type="date" value="2025-01-01"' in html
    assert "/reports/referrals.csv?since=2025-01-01" in html
    assert html.count('<img class="chart" src="data:image/svg+xml;base64,') == 2
    assert f'alt="{report.alt_text("by_month")}"' in html
    assert '<th scope="row">Hilltop Community Pantry</th><td>8</td>' in html
    assert '<th scope="row">Food Insecurity</th><td>No capacity</td><td>2</td>' in html
    assert '<th scope="row">15213</th><td>Not eligible</td><td>1</td>' in html
    assert "86%" in html and "8.0 hours" in html and "15.0 hours" in html
    assert '<th scope="col">' in html


def test_report_pages_are_scoped_to_the_viewer(app, seeded, people):
    admin = people.login(app.test_client(), "admin")
    page = admin.get("/reports/referrals").get_data(as_text=True)
    assert "Hilltop Community Pantry" in page
    export = admin.get("/reports/referrals.csv")
    assert export.mimetype == "text/csv" and "section" in export.get_data(as_text=True)
    agency_b = people.login(app.test_client(), "agency_b")
    page_b = agency_b.get("/reports/referrals").get_data(as_text=True)
    assert "Hilltop Community Pantry" not in page_b  # another agency's numbers stay hidden
    assert agency_b.get("/reports/referrals?since=soon").status_code == 400
