"""Refer from where you find (issue 10): picked programs kept in the server session, one
referral round for all of them, one hand-out for all (printed, or e-mailed through SMTP to a
client who agreed to e-mail), and the client's "Find help" page one need at a time."""

import re

import pytest

from resdir.auth.models import UserSession
from resdir.directory import models as m
from resdir.extensions import db
from resdir.referrals.models import Referral

PROGRAMS = ("Hilltop Food Pantry", "Emergency Rent Assistance")


@pytest.fixture
def ids(app):
    with app.app_context():
        return {name: db.session.query(m.Service.id).filter_by(name=name).scalar()
                for name in (*PROGRAMS, "Sliding Scale Counseling")}


@pytest.fixture
def coord(app, people):
    return people.login(app.test_client(), "coord_a")


def _client(api, **contact):
    return api("POST", "/api/v1/clients", json={"name": "Marit Solberg", "zip": "15219",
                                                 **contact}).get_json()["id"]


def _pick(coord, csrf, ids, names=PROGRAMS, back="/?q=food&zip=15219"):
    for name in names:
        response = coord.post("/picks", data={"csrf_token": csrf, "service_id": ids[name],
                                              "next": back})
        assert response.status_code == 303 and response.headers["Location"] == back


def test_picks_are_kept_in_the_server_session_not_the_url(app, people, coord, ids,
                                                           csrf_token):
    search = coord.get("/?q=food&zip=15219").get_data(as_text=True)
    assert "Pick for referral" in search
    csrf = csrf_token(coord, "/picks")
    _pick(coord, csrf, ids)
    page = coord.get("/picks").get_data(as_text=True)
    assert all(name in page for name in PROGRAMS) and "Picked (2)" in page
    assert "Picked: remove" in coord.get(f"/programs/{ids[PROGRAMS[0]]}").get_data(as_text=True)
    with app.app_context():
        rows = db.session.scalars(db.select(UserSession).where(UserSession.picks.is_not(None)))
        assert [r.picks for r in rows] == [[ids[n] for n in PROGRAMS]]
    # An open redirect is not possible through "next".
    away = coord.post("/picks", data={"csrf_token": csrf, "service_id": ids[PROGRAMS[0]],
                                      "remove": "1", "next": "//evil.example/"})
    assert away.headers["Location"] == "/picks"
    assert PROGRAMS[0] not in coord.get("/picks").get_data(as_text=True)
    # Only coordinators pick: no button for the public or an agency, and the list refuses.
    assert "Pick for referral" not in app.test_client().get("/?q=food").get_data(as_text=True)
    agency = people.login(app.test_client(), "agency_a")
    assert "Pick for referral" not in agency.get("/?q=food").get_data(as_text=True)
    assert agency.post("/picks", data={"csrf_token": csrf_token(agency, "/"),
                                       "service_id": ids[PROGRAMS[0]]}).status_code == 403


def test_refer_all_picked_programs_for_one_client_and_need(app, people, api, coord, ids,
                                                            csrf_token):
    client = _client(api, phone="412-555-0166", contact_method="text")
    csrf = csrf_token(coord, "/picks")
    _pick(coord, csrf, ids)
    # From the client's page, one link to the list with this client chosen.
    link = f'href="/picks?client={client}">Refer Marit Solberg to the 2 picked programs'
    assert link in coord.get(f"/clients/{client}").get_data(as_text=True)
    assert f'<option value="{client}" selected>' in coord.get(f"/picks?client={client}") \
        .get_data(as_text=True)
    form = {"csrf_token": csrf, "client_id": client, "need": "food-insecurity",
            "consent": "yes", "consent_method": "verbal", "consent_scope": "Name and need",
            "contact_preference": ""}
    done = coord.post("/picks/refer", data=form)
    assert done.status_code == 303
    page = coord.get(done.headers["Location"]).get_data(as_text=True)
    assert "2 referrals made." in page
    with app.app_context():
        made = db.session.scalars(db.select(Referral).filter_by(client_id=client)).all()
        assert sorted(r.service_id for r in made) == sorted(ids[n] for n in PROGRAMS)
        assert {(r.status, r.need_code, r.contact_preference) for r in made} == {
            ("requested", "food-insecurity", "text")}  # "as the client prefers"
    # The same round again: the duplicate rule names each program; nothing is made.
    again = coord.post("/picks/refer", data=form)
    page = coord.get(again.headers["Location"]).get_data(as_text=True)
    assert "0 of 2 referrals made" in page
    assert all(f"open referral to {name}" in page for name in PROGRAMS)


def test_one_handout_for_all_picks_printed_and_emailed(app, people, api, coord, ids,
                                                       csrf_token, mailbox):
    csrf = csrf_token(coord, "/picks")
    _pick(coord, csrf, ids)
    printed = coord.get("/picks/handout").get_data(as_text=True)
    for text in (*PROGRAMS, "100 Centre Ave", "412-555-0101", "Photo ID", "Today:",
                 "coord.a@clinic-a.example", "Northside Clinic"):
        assert text in printed, text
    assert re.search(r"(January|February|March|April|May|June|July|August|September|"
                     r"October|November|December) \d{1,2}, \d{4}", printed)
    # Not agreed to e-mail: refused, said plainly, nothing sent.
    silent = _client(api, email="marit.solberg@example.org")
    refused = coord.post("/picks/handout/email", data={"csrf_token": csrf,
                                                      "client_id": silent})
    assert "has not agreed to get e-mail" in coord.get(refused.headers["Location"]) \
        .get_data(as_text=True)
    assert mailbox.messages == []
    agreed = _client(api, email="marit.solberg@example.org", email_ok=True)
    sent = coord.post("/picks/handout/email", data={"csrf_token": csrf, "client_id": agreed})
    assert "e-mailed to the client" in coord.get(sent.headers["Location"]).get_data(
        as_text=True)
    (message,) = mailbox.messages
    assert message["To"] == "marit.solberg@example.org"
    assert "Marit" not in message["Subject"] and "Solberg" not in message["Subject"]
    body = message.get_content()
    assert all(name in body for name in PROGRAMS) and "coord.a@clinic-a.example" in body
    assert "Photo ID" in body and "412-555-0101" in body


def test_find_help_shows_one_need_open_at_a_time(app, people, api, coord):
    client = api("POST", "/api/v1/clients", json={
        "name": "Marit Solberg", "zip": "15219",
        "needs": ["food-insecurity", "housing-instability", "transportation-insecurity"],
    }).get_json()["id"]
    page = coord.get(f"/clients/{client}").get_data(as_text=True)
    needs = re.findall(r'<details class="need" id="need-([\w-]+)"( open)?>', page)
    assert [code for code, _ in needs] == ["food-insecurity", "housing-instability",
                                           "transportation-insecurity"]
    assert [bool(is_open) for _, is_open in needs] == [True, False, False]
