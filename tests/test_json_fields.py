"""Every JSON write refuses a top-level key it does not know, naming it (issue 10, defect 11).

A misspelt key silently ignored answers a question nobody asked: `"facts"` instead of
`"client"` used to match with no facts at all and say 200.
"""

import pytest

from resdir.directory import models as m
from resdir.extensions import db

CONSENT = {"given": True, "method": "verbal", "scope": "Name, age, ZIP and the need"}


@pytest.fixture
def made(app, api):
    with app.app_context():
        pantry = db.session.query(m.Service.id).filter_by(name="Hilltop Food Pantry").scalar()
    client = api("POST", "/api/v1/clients", json={"name": "Ada Quill", "zip": "15219"}).get_json()
    referral = api("POST", "/api/v1/referrals", json={
        "client_id": client["id"], "service_id": pantry, "need": "food-insecurity",
        "consent": CONSENT}).get_json()
    return {"pantry": pantry, "client": client, "referral": referral}


def test_match_with_facts_instead_of_client_is_refused_naming_the_key(api):
    response = api("POST", "/api/v1/match", json={"facts": {"zip": "15213"},
                                                   "needs": ["food-insecurity"]})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["parameter"] == "facts"
    assert "'facts'" in error["message"] and "client" in error["message"]


@pytest.mark.parametrize("method, path, who, body", [
    ("POST", "/api/v1/clients", "coord_a", {"zip": "15213", "nmae": "x"}),
    ("PATCH", "/api/v1/clients/{client}", "coord_a", {"version": 1, "nmae": "x"}),
    ("POST", "/api/v1/clients/{client}/screenings", "coord_a",
     {"ahc_hrsn": {"utilities": "no"}, "nmae": "x"}),
    ("POST", "/api/v1/match", "coord_a", {"needs": ["food-insecurity"], "nmae": "x"}),
    ("POST", "/api/v1/referrals", "coord_a", {"need": "food-insecurity", "nmae": "x"}),
    ("PATCH", "/api/v1/referrals/{referral}", "agency_a",
     {"status": "accepted", "version": 2, "nmae": "x"}),
    ("POST", "/api/v1/referrals/{referral}/notes", "coord_a", {"note": "hi", "nmae": "x"}),
    ("PATCH", "/api/v1/services/{pantry}", "agency_a",
     {"capacity_status": "waitlist", "nmae": "x"}),
])
def test_every_json_write_refuses_an_unknown_key(api, made, method, path, who, body):
    url = path.format(client=made["client"]["id"], referral=made["referral"]["id"],
                      pantry=made["pantry"])
    response = api(method, url, who=who, json=body)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["parameter"] == "nmae"
    assert "'nmae'" in response.get_json()["error"]["message"]
    # Nothing was half-applied: the referral is still only requested.
    referral = api("GET", f"/api/v1/referrals/{made['referral']['id']}").get_json()
    assert referral["status"] == "requested" and len(referral["timeline"]) == 2
