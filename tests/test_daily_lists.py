"""Coordinators' "My referrals", the agency inbox, and an agency's own listings (issue 10,
"What is missing": lists with names, due dates, one-step answers, Edit links, confirm all)."""

import re
from datetime import date

import pytest

from resdir.directory import models as m
from resdir.extensions import db
from resdir.referrals.models import Referral

CONSENT = {"given": True, "method": "verbal", "scope": "Name, age, ZIP and the need"}


@pytest.fixture
def referred(app, people):
    """Two clients of Northside Clinic, each referred to the pantry."""
    api = app.test_client()
    head = people.bearer("coord_a")
    with app.app_context():
        pantry = db.session.query(m.Service.id).filter_by(name="Hilltop Food Pantry").scalar()
    made = {}
    for name in ("Perpetua Lindqvist", "Ossian Brandvold"):
        client = api.post("/api/v1/clients", headers=head, json={"name": name, "zip": "15219"})
        referral = api.post("/api/v1/referrals", headers=head, json={
            "client_id": client.get_json()["id"], "service_id": pantry,
            "need": "food-insecurity", "consent": CONSENT})
        made[name] = (client.get_json()["id"], referral.get_json()["id"])
    return made


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr class="[^"]*">.*?</tr>', page, re.S)


def test_my_referrals_names_client_program_agency_due_and_last_change(app, people, referred):
    coord = people.login(app.test_client(), "coord_a")
    page = coord.get("/referrals").get_data(as_text=True)
    rows = _rows(page)
    assert len(rows) == 2
    row = next(r for r in rows if "Perpetua Lindqvist" in r)
    assert "Hilltop Food Pantry" in row and "Hilltop Community Pantry" in row
    assert "Sent (waiting for the agency)" in row
    assert re.search(r"Answer by \d{4}-\d{2}-\d{2}", row)
    assert re.search(r'data-label="Last change">\d{4}-\d{2}-\d{2} \d{2}:\d{2}', row)
    # Filter by client: chosen by name from a list, sent as an id (no names in URLs).
    client_id = referred["Ossian Brandvold"][0]
    assert f'<option value="{client_id}" >Ossian Brandvold</option>' in page
    only = _rows(coord.get(f"/referrals?client={client_id}").get_data(as_text=True))
    assert len(only) == 1 and "Ossian Brandvold" in only[0]


def test_inbox_shows_who_referred_and_answers_in_one_step(app, people, referred, csrf_token):
    agency = people.login(app.test_client(), "agency_a")
    page = agency.get("/referrals").get_data(as_text=True)
    row = next(r for r in _rows(page) if "Perpetua Lindqvist" in r)
    assert "Northside Clinic" in row and "coord.a@clinic-a.example" in row
    assert "Food Insecurity" in row and "Answer by" in row
    token = csrf_token(agency, "/referrals")
    accept_id = referred["Perpetua Lindqvist"][1]
    reject_id = referred["Ossian Brandvold"][1]
    with app.app_context():
        versions = {i: db.session.get(Referral, i).version for i in (accept_id, reject_id)}
    accepted = agency.post(f"/referrals/{accept_id}/status", data={
        "csrf_token": token, "status": "accepted", "version": versions[accept_id],
        "back": "inbox"})
    assert accepted.status_code == 303 and accepted.headers["Location"].endswith("/referrals")
    # Reject without a reason: refused, said plainly, nothing changed.
    refused = agency.post(f"/referrals/{reject_id}/status", data={
        "csrf_token": token, "status": "rejected", "version": versions[reject_id],
        "back": "inbox"})
    assert "reason" in agency.get(refused.headers["Location"]).get_data(as_text=True).lower()
    agency.post(f"/referrals/{reject_id}/status", data={
        "csrf_token": token, "status": "rejected", "reason": "no-capacity",
        "version": versions[reject_id], "back": "inbox"})
    with app.app_context():
        assert db.session.get(Referral, accept_id).status == "accepted"
        rejected = db.session.get(Referral, reject_id)
        assert rejected.status == "rejected" and rejected.status_reason == "no-capacity"


def test_own_program_page_has_an_edit_link_for_its_agency_only(app, people, client):
    with app.app_context():
        pantry = db.session.query(m.Service.id).filter_by(name="Hilltop Food Pantry").scalar()
    own = people.login(app.test_client(), "agency_a").get(f"/programs/{pantry}")
    assert f'href="/agency/programs/{pantry}/edit">Edit this listing' in own.get_data(
        as_text=True)
    for other in (people.login(app.test_client(), "agency_b"), client):
        assert "Edit this listing" not in other.get(f"/programs/{pantry}").get_data(
            as_text=True)


def test_agency_confirms_all_its_listings_in_one_step(app, people, csrf_token):
    agency = people.login(app.test_client(), "agency_a")
    home = agency.get("/agency/").get_data(as_text=True)
    assert "Confirm all" in home
    response = agency.post("/agency/confirm-all", data={"csrf_token": csrf_token(agency,
                                                                                   "/agency/")})
    assert response.status_code == 303
    with app.app_context():
        own = db.session.query(m.Service).filter_by(organization_id=people.pantry_org).all()
        others = db.session.query(m.Service).filter(
            m.Service.organization_id != people.pantry_org).all()
        assert len(own) >= 2 and all(s.assured_date == date.today() for s in own)
        assert all(s.assured_date != date.today() for s in others)
