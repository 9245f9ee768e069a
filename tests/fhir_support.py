"""Shared set-up of the FHIR API tests (the `fhir` and `referral` fixtures in conftest.py):
a referral from care organization A to the pantry (agency A), made through resdir's JSON
API, and a caller that speaks FHIR."""

from __future__ import annotations

CONSENT = {"given": True, "method": "verbal", "scope": "Name, age, ZIP and the need"}
FHIR_JSON = "application/fhir+json"


class Fhir:
    def __init__(self, app, people):
        self.client, self.people = app.test_client(), people

    def __call__(self, method, path, who="agency_a", headers=None, **kwargs):
        sent = dict(self.people.bearer(who)) if who else {}
        sent.update(headers or {})
        if "json" in kwargs:
            kwargs["content_type"] = FHIR_JSON
            import json

            kwargs["data"] = json.dumps(kwargs.pop("json"))
        return self.client.open(path, method=method, headers=sent, **kwargs)


def make_referral(app, people, fhir):
    """A requested referral of a screened client (food positive) to the Hilltop pantry."""
    from resdir.directory import models as m
    from resdir.extensions import db

    with app.app_context():
        pantry = db.session.query(m.Service.id).filter_by(name="Hilltop Food Pantry").scalar()
    coord = fhir.client
    headers = people.bearer("coord_a")
    client = coord.post("/api/v1/clients", headers=headers, json={
        "name": "Wren Q. Halvorsen", "zip": "15219", "birth_date": "1991-07-14",
        "gender": "female", "languages": ["en", "es"], "annual_income": 12345,
        "insurance": "medicaid"}).get_json()
    screened = coord.post(f"/api/v1/clients/{client['id']}/screenings", headers=headers,
                          json={"ahc_hrsn": {"food_worry": "often", "food_didnt_last": "never"}})
    assert screened.status_code == 201, screened.get_json()
    made = coord.post("/api/v1/referrals", headers=headers, json={
        "client_id": client["id"], "service_id": pantry, "need": "food-insecurity",
        "consent": CONSENT})
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def issue(response) -> dict:
    assert response.mimetype == FHIR_JSON, response.mimetype
    body = response.get_json()
    assert body["resourceType"] == "OperationOutcome", body
    (found,) = body["issue"]
    assert found["severity"] in ("error", "fatal") and found["code"]
    return found


def timeline(app, referral_id: str) -> list:
    from resdir.extensions import db
    from resdir.referrals.models import ReferralEvent

    with app.app_context():
        return [(e.from_status, e.to_status, e.note) for e in db.session.query(ReferralEvent)
                .filter_by(referral_id=referral_id).order_by(ReferralEvent.id)]
