"""A client's contact details (issue 10, "Client contact") and the "changed since you last
opened it" marker on referral lists."""

import logging
import re

import pytest

from resdir.directory import models as m
from resdir.extensions import db
from resdir.matching.models import Client

CONSENT = {"given": True, "method": "verbal", "scope": "Name, age, ZIP and the need"}
PHONE, EMAIL = "(412) 555-0147", "ilse.varga@example.org"


@pytest.fixture
def pantry(app):
    with app.app_context():
        return db.session.query(m.Service.id).filter_by(name="Hilltop Food Pantry").scalar()


def _contact_client(api, method: str) -> str:
    """Ilse Varga, with a phone and an email, to be reached by `method`."""
    return api("POST", "/api/v1/clients", json={
        "name": "Ilse Varga", "zip": "15219", "phone": PHONE, "email": EMAIL,
        "contact_method": method}).get_json()["id"]


def _refer(api, client: str, pantry: str, consent: dict = CONSENT, **more) -> dict:
    """The coordinator refers `client` to the pantry for food insecurity."""
    return api("POST", "/api/v1/referrals", json={
        "client_id": client, "service_id": pantry, "need": "food-insecurity",
        "consent": consent, **more}).get_json()


def _form(csrf, **fields):
    return {"csrf_token": csrf, "name": "Ilse Varga", "zip": "15219", "need": "food-insecurity",
            **fields}


def test_contact_is_checked_kept_and_used_by_the_referral_form(app, people, csrf_token,
                                                                 caplog):
    caplog.set_level(logging.DEBUG)
    coord = people.login(app.test_client(), "coord_a")
    csrf = csrf_token(coord, "/clients/new")
    bad = coord.post("/clients/new", data=_form(csrf, phone="call me", email="nope"))
    assert bad.status_code == 400
    assert "We can&#39;t read &#39;call me&#39; as a phone number" in bad.get_data(as_text=True)
    made = coord.post("/clients/new", data=_form(
        csrf, phone="412 555 0147", email=EMAIL, email_ok="yes", contact_method="text",
        contact_times="weekdays after 5 pm", address="12 Larkin Way, Pittsburgh PA"))
    assert made.status_code == 303
    client_url = made.headers["Location"]
    # Nothing but the record id in the URL (not '"555" not in it': a random id holds "555"
    # about once in 190 runs: 22 places for 3 hex digits in a uuid4).
    assert re.fullmatch(r"(http://localhost)?/clients/[0-9a-f-]{36}", client_url), client_url
    page = coord.get(client_url).get_data(as_text=True)
    assert f'value="{PHONE}"' in page and f'value="{EMAIL}"' in page
    assert re.search(r'<option value="text" selected>Text message</option>', page)
    # "Contact the client by" offers the client's own number and preselects their choice.
    assert f'<option value="text" selected>Text message: {PHONE}</option>' in page
    assert "Best times: weekdays after 5 pm" in page
    with app.app_context():
        client = db.session.scalar(db.select(Client).filter_by(name="Ilse Varga"))
        assert client.contact == {"phone": PHONE, "email": EMAIL, "email_ok": True,
                                  "contact_method": "text",
                                  "contact_times": "weekdays after 5 pm",
                                  "address": "12 Larkin Way, Pittsburgh PA"}
        assert "phone" not in client.facts  # matching never reads contact details
    logged = " ".join(r.getMessage() for r in caplog.records)
    # The number as typed or as digits (not "555" alone: a logged record id may hold it).
    for secret in ("555-0147", "5550147", "ilse.varga", "Varga"):
        assert secret not in logged, secret


def test_contact_saves_field_by_field_and_a_stale_save_is_refused(app, people, api):
    made = api("POST", "/api/v1/clients", json={"name": "Ilse Varga", "phone": "4125550147",
                                                 "email": EMAIL}).get_json()
    assert made["phone"] == PHONE
    changed = api("PATCH", f"/api/v1/clients/{made['id']}",
                  json={"version": made["version"], "contact_times": "mornings"})
    assert changed.status_code == 200
    body = changed.get_json()
    assert (body["phone"], body["email"], body["contact_times"]) == (PHONE, EMAIL, "mornings")
    stale = api("PATCH", f"/api/v1/clients/{made['id']}",
                json={"version": made["version"], "phone": "412-555-0199"})
    assert stale.status_code == 409
    refused = api("PATCH", f"/api/v1/clients/{made['id']}",
                  json={"version": body["version"], "email_ok": True, "email": None})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["parameter"] == "email"


def test_agency_sees_contact_only_when_consent_covers_it(app, people, api, pantry):
    client = _contact_client(api, "phone")
    plain = _refer(api, client, pantry)
    agency = people.login(app.test_client(), "agency_a")
    page = agency.get(f"/referrals/{plain['id']}").get_data(as_text=True)
    assert PHONE not in page and EMAIL not in page
    assert "consent does not cover contact" in page
    assert "contact" not in api("GET", f"/api/v1/referrals/{plain['id']}",
                                who="agency_a").get_json()["client"]
    covered = _refer(api, client, pantry, {**CONSENT, "contact": True}, confirm_duplicate=True)
    page = agency.get(f"/referrals/{covered['id']}").get_data(as_text=True)
    assert PHONE in page and EMAIL in page
    shared = api("GET", f"/api/v1/referrals/{covered['id']}", who="agency_a").get_json()
    assert shared["client"]["contact"] == {"phone": PHONE, "email": EMAIL,
                                           "contact_method": "phone"}
    # Do-not-contact wins over the consent: the agency works through the coordinator.
    quiet = _refer(api, client, pantry, {**CONSENT, "contact": True}, confirm_duplicate=True,
                   contact_preference="do-not-contact")
    assert PHONE not in agency.get(f"/referrals/{quiet['id']}").get_data(as_text=True)


def _marker(page: str, referral_id: str) -> str | None:
    row = re.search(rf'href="/referrals/{referral_id}">[^<]*</a>( <strong class="unread">'
                    rf'(\w+))?', page)
    assert row, "referral not listed"
    return row.group(2)


def test_lists_mark_referrals_changed_since_last_opened(app, people, api, pantry):
    client = api("POST", "/api/v1/clients", json={"name": "Ilse Varga"}).get_json()["id"]
    made = _refer(api, client, pantry)
    coord = people.login(app.test_client(), "coord_a")
    agency = people.login(app.test_client(), "agency_a")
    # Own work is not a change; the agency has never opened it: new.
    assert _marker(coord.get("/referrals").get_data(as_text=True), made["id"]) is None
    assert _marker(agency.get("/referrals").get_data(as_text=True), made["id"]) == "New"
    agency.get(f"/referrals/{made['id']}")
    assert _marker(agency.get("/referrals").get_data(as_text=True), made["id"]) is None
    api("PATCH", f"/api/v1/referrals/{made['id']}", who="agency_a",
        json={"version": made["version"], "status": "accepted"})
    assert _marker(coord.get("/referrals").get_data(as_text=True), made["id"]) == "Changed"
    coord.get(f"/referrals/{made['id']}")
    assert _marker(coord.get("/referrals").get_data(as_text=True), made["id"]) is None


HOSTILE = ["\x00", "a\x00b", "\ud800", "a" * 5000, "", " ", {"nested": "object"}, ["list"],
           10**30, True, None, 2.5, "9" * 40, "<script>alert(1)</script>", "\u202e",
           "@", "a@b", "+999 1", "1" * 16]


def test_hostile_contact_values_are_refused_by_name_never_500(api):
    for field, value in ((f, v) for f in ("phone", "email", "email_ok", "contact_method",
                                          "contact_times", "address") for v in HOSTILE):
        response = api("POST", "/api/v1/clients", json={"name": "Ilse Varga", field: value})
        assert response.status_code in (201, 400), (field, value, response.status_code)
        if response.status_code == 400:
            assert response.get_json()["error"]["parameter"] in (field, "email", "phone")


def test_fhir_patient_carries_contact_only_as_consented(app, people, api, pantry):
    client = _contact_client(api, "text")
    made = _refer(api, client, pantry)
    own = api("GET", f"/fhir/Patient/{client}").get_json()
    assert {(t["system"], t["value"]) for t in own["telecom"]} == {
        ("phone", PHONE), ("sms", PHONE), ("email", EMAIL)}
    assert "telecom" not in api("GET", f"/fhir/Patient/{client}", who="agency_a").get_json()
    _refer(api, client, pantry, {**CONSENT, "contact": True}, confirm_duplicate=True)
    shared = api("GET", f"/fhir/Patient/{client}", who="agency_a").get_json()
    assert [t for t in shared["telecom"] if t.get("rank") == 1] == [
        {"system": "sms", "value": PHONE, "use": "home", "rank": 1}]
    bundle = api("GET", f"/api/v1/referrals/{made['id']}/fhir", who="agency_a").get_json()
    patient = next(e["resource"] for e in bundle["entry"]
                   if e["resource"]["resourceType"] == "Patient")
    assert "telecom" not in patient  # this referral's consent does not cover contact
