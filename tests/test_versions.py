"""Concurrent edits never silently overwrite each other (issue 9, item 1).

Every write of a versioned record (a listing with all its rows, a client with its needs, a
referral with its consent) checks and bumps the record's version in the same UPDATE, also
when only child rows change. Tests here race two real sessions: two signed-in browsers (test
clients), two API callers, and two app instances, each with its own engine and connections,
on the same database (SQLite file or PostgreSQL database).
"""

from __future__ import annotations

import pytest

from resdir.directory import models as m
from resdir.errors import Conflict
from resdir.extensions import db
from resdir.matching.models import Client
from resdir.referrals.models import Referral
from tests.test_listing_save import edit_page, form_of, save

CONSENT = {"given": True, "method": "verbal", "scope": "Name, age, ZIP and the need"}


def pantry(app) -> str:
    with app.app_context():
        return db.session.scalar(db.select(m.Service.id).filter_by(name="Hilltop Food Pantry"))


def current(app, sid: str) -> m.Service:
    with app.app_context():
        service = db.session.get(m.Service, sid)
        return {"version": service.version, "hours": sorted(
            (s.byday, s.opens_at.isoformat()) for s in service.schedules if not s.closed),
            "languages": sorted(lang.code for lang in service.languages),
            "phones": [p.number for p in service.phones],
            "description": service.description}


def test_two_agency_sessions_save_hours_and_languages_the_second_gets_409(app, people):
    sid = pantry(app)
    first = people.login(app.test_client(), "agency_a")
    second = people.login(app.test_client(), "agency_a")
    form_one, form_two = edit_page(first, sid), edit_page(second, sid)
    version = int(form_one["version"])
    assert save(first, sid, form_one, hours="Su 12:00-15:00").status_code == 303
    assert current(app, sid)["version"] == version + 1  # hours alone bump the version
    refused = save(second, sid, form_two, languages="en;es;ne")
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert f"it is now version {version + 1}" in page
    kept = form_of(page)
    assert kept["languages"] == "en;es;ne"  # the second user's input is kept...
    assert kept["hours"] == "Su 12:00-15:00"  # ...beside the first user's saved change
    assert kept["version"] == str(version + 1)
    assert current(app, sid)["hours"] == [("SU", "12:00:00")]
    # Saving the returned form applies the second user's change and undoes nothing.
    assert save(second, sid, kept).status_code == 303
    after = current(app, sid)
    assert after["hours"] == [("SU", "12:00:00")]
    assert after["languages"] == ["en", "es", "ne"]
    assert after["version"] == version + 2


def test_a_description_conflict_is_409_with_both_texts_on_the_page(app, people):
    sid = pantry(app)
    first = people.login(app.test_client(), "agency_a")
    second = people.login(app.test_client(), "agency_a")
    form_one, form_two = edit_page(first, sid), edit_page(second, sid)
    assert save(first, sid, form_one, program_description="Groceries on Mondays.") \
        .status_code == 303
    refused = save(second, sid, form_two, program_description="Groceries on Fridays.")
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "Groceries on Fridays." in form_of(page)["program_description"]
    assert "The listing now says: Groceries on Mondays." in page
    assert current(app, sid)["description"] == "Groceries on Mondays."


def test_phone_and_hours_through_the_api_the_second_gets_409(app, people):
    sid = pantry(app)
    api = app.test_client()
    version = api.get(f"/api/v1/services/{sid}").get_json()["version"]
    done = api.patch(f"/api/v1/services/{sid}", headers=people.bearer("agency_a"),
                     json={"phone": "412-555-0142", "version": version})
    assert done.status_code == 200
    late = api.patch(f"/api/v1/services/{sid}", headers=people.bearer("admin"),
                     json={"hours": "Mo 08:00-10:00", "version": version})
    assert late.status_code == 409
    assert late.get_json()["error"]["current_version"] == version + 1
    assert current(app, sid)["phones"] == ["412-555-0142"]
    assert current(app, sid)["hours"] != [("MO", "08:00:00")]


@pytest.fixture
def second_coordinator(app, people):
    """Another coordinator of the same care organization as coord_a, with a token."""
    from resdir.auth import operations as auth

    with app.app_context():
        other = auth.create_user("coord.a2@clinic-a.example", "coordinator", "Northside Clinic",
                                 password="correct horse battery staple")
        assert other.care_organization_id == people.care["coord_a"]
        return {"Authorization": f"Bearer {auth.create_api_token(other)}"}


def test_two_coordinators_patch_one_client_the_second_gets_409(app, people,
                                                              second_coordinator):
    api = app.test_client()
    first = people.bearer("coord_a")
    client = api.post("/api/v1/clients", headers=first, json={
        "name": "Juniper Okafor", "zip": "15213", "needs": ["food-insecurity"]}).get_json()
    version = client["version"]
    done = api.patch(f"/api/v1/clients/{client['id']}", headers=first, json={
        "needs": ["food-insecurity", "housing-instability"], "version": version})
    assert done.status_code == 200
    assert done.get_json()["version"] == version + 1
    late = api.patch(f"/api/v1/clients/{client['id']}", headers=second_coordinator, json={
        "needs": ["transportation-insecurity"], "version": version})
    assert late.status_code == 409
    assert late.get_json()["error"]["current_version"] == version + 1
    now = api.get(f"/api/v1/clients/{client['id']}", headers=first).get_json()
    assert [n["code"] for n in now["needs"]] == ["food-insecurity", "housing-instability"]


def test_consent_recorded_meanwhile_makes_a_stale_send_409(app, people):
    api = app.test_client()
    coord = people.bearer("coord_a")
    client = api.post("/api/v1/clients", headers=coord, json={"zip": "15213"}).get_json()
    draft = api.post("/api/v1/referrals", headers=coord, json={
        "client_id": client["id"], "service_id": pantry(app), "need": "food-insecurity",
        "consent": {"given": False}}).get_json()
    assert draft["status"] == "draft"
    consented = api.patch(f"/api/v1/referrals/{draft['id']}", headers=coord, json={
        "consent": CONSENT, "version": draft["version"]})
    assert consented.status_code == 200
    assert consented.get_json()["version"] == draft["version"] + 1
    stale = api.patch(f"/api/v1/referrals/{draft['id']}", headers=coord, json={
        "status": "cancelled", "reason": "client-declined", "version": draft["version"]})
    assert stale.status_code == 409
    assert stale.get_json()["error"]["current_version"] == draft["version"] + 1


# -- two app instances (two engines, two connection pools) on one database ----------------


def race(app, twin, load, first_write, second_write):
    """Both instances read the record; the twin writes and commits; then `app` writes what
    it had read. Returns the exception the late writer raised (None if it saved)."""
    with app.app_context():
        late = load()
        with twin.app_context():
            first_write(load())
        try:
            second_write(late)
        except Conflict as exc:
            return exc
        return None


def _users(who):
    from resdir.auth.models import User

    return db.session.scalar(db.select(User).filter_by(email=who))


def test_race_listing_children_only(app, people, twin):
    from resdir.agencies import operations

    sid = pantry(app)

    def load():
        return db.session.get(m.Service, sid)

    def write(field, text):
        def save_it(service):
            operations.save_listing(_users(people.emails["agency_a"]), service,
                                    {field: text}, service.version)
        return save_it

    version = current(app, sid)["version"]
    error = race(app, twin, load, write("hours", "Su 12:00-15:00"),
                 write("languages", "en;es;ne"))
    assert isinstance(error, Conflict) and error.status == 409
    assert error.version == version + 1
    after = current(app, sid)
    assert after["hours"] == [("SU", "12:00:00")] and "ne" not in after["languages"]


def test_race_client_needs(app, people, twin):
    from resdir.matching import operations

    api = app.test_client()
    client_id = api.post("/api/v1/clients", headers=people.bearer("coord_a"), json={
        "zip": "15213", "needs": ["food-insecurity"]}).get_json()["id"]

    def load():
        return db.session.get(Client, client_id)

    def write(needs):
        def save_it(client):
            operations.update_client(_users(people.emails["coord_a"]), client,
                                     {"needs": needs, "version": client.version})
        return save_it

    error = race(app, twin, load, write(["housing-instability"]),
                 write(["transportation-insecurity"]))
    assert isinstance(error, Conflict)
    with app.app_context():
        assert [n.code for n in db.session.get(Client, client_id).needs] == [
            "housing-instability"]


def test_race_referral_status(app, people, twin):
    from resdir.referrals import operations

    api = app.test_client()
    client_id = api.post("/api/v1/clients", headers=people.bearer("coord_a"),
                         json={"zip": "15213"}).get_json()["id"]
    referral_id = api.post("/api/v1/referrals", headers=people.bearer("coord_a"), json={
        "client_id": client_id, "service_id": pantry(app), "need": "food-insecurity",
        "consent": CONSENT}).get_json()["id"]

    def load():
        return db.session.get(Referral, referral_id)

    def accept(referral):
        operations.change_status(_users(people.emails["agency_a"]), referral,
                                 {"status": "accepted", "version": referral.version})

    def cancel(referral):
        operations.change_status(_users(people.emails["coord_a"]), referral, {
            "status": "cancelled", "reason": "client-declined", "version": referral.version})

    error = race(app, twin, load, accept, cancel)
    assert isinstance(error, Conflict)
    with app.app_context():
        assert db.session.get(Referral, referral_id).status == "accepted"


def test_concurrent_patches_through_two_gunicorn_workers_one_wins(app, people, tmp_path,
                                                                   node_env):
    """Eight coordinators' PATCHes of one client, all sent at once with the same version,
    through two real gunicorn worker processes: exactly one is saved, the others are 409,
    and the client holds the winner's needs. The same for eight listing PATCHes."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.servers import Gunicorn, patch

    api = app.test_client()
    coord = people.bearer("coord_a")
    client = api.post("/api/v1/clients", headers=coord, json={"zip": "15213"}).get_json()
    sid = pantry(app)
    service_version = api.get(f"/api/v1/services/{sid}").get_json()["version"]
    needs = ["food-insecurity", "housing-instability", "transportation-insecurity",
             "financial-insecurity", "homelessness", "inadequate-housing",
             "material-hardship", "employment-status"]
    env = node_env()
    with Gunicorn(env, workers=2, log=tmp_path / "gunicorn.log") as server, \
            ThreadPoolExecutor(8) as pool:
        clients = list(pool.map(lambda need: patch(
            f"{server.url}/api/v1/clients/{client['id']}", coord,
            {"needs": [need], "version": client["version"]}), needs))
        listings = list(pool.map(lambda hour: patch(
            f"{server.url}/api/v1/services/{sid}", people.bearer("agency_a"),
            {"hours": f"Mo {hour:02d}:00-{hour + 1:02d}:00", "version": service_version}),
            range(8, 16)))
    assert sorted(clients) == [200] + [409] * 7
    assert sorted(listings) == [200] + [409] * 7
    with app.app_context():
        saved = db.session.get(Client, client["id"])
        assert saved.version == client["version"] + 1
        assert len(saved.needs) == 1 and saved.needs[0].code in needs
        service = db.session.get(m.Service, sid)
        assert service.version == service_version + 1
        assert len([s for s in service.schedules if not s.closed]) == 1


def test_two_coordinators_on_the_client_page_the_second_gets_409_and_keeps_input(
        app, people):
    api = app.test_client()
    client_id = api.post("/api/v1/clients", headers=people.bearer("coord_a"), json={
        "name": "Juniper Okafor", "zip": "15213", "household_size": 2, "annual_income": 24000,
        "languages": ["en", "es"], "veteran": True,
        "needs": ["food-insecurity"]}).get_json()["id"]
    page = f"/clients/{client_id}"
    first = people.login(app.test_client(), "coord_a")
    second = people.login(app.test_client(), "coord_a")

    def facts_form(browser):
        return fields_of(browser.get(page).get_data(as_text=True), page)

    form_one, form_two = facts_form(first), facts_form(second)
    assert form_one["need"] == ["food-insecurity"]
    saved = first.post(page, data={**form_one, "need": ["food-insecurity",
                                                        "housing-instability"]})
    assert saved.status_code == 303
    refused = second.post(page, data={**form_two, "household_size": ["3"]})
    assert refused.status_code == 409
    body = refused.get_data(as_text=True)
    assert "Someone else saved this client" in body
    kept = fields_of(body, page)
    assert kept["household_size"] == ["3"]  # the second user's input...
    assert sorted(kept["need"]) == ["food-insecurity", "housing-instability"]  # ...and the first's
    assert second.post(page, data=kept).status_code == 303
    now = api.get(f"/api/v1/clients/{client_id}", headers=people.bearer("coord_a")).get_json()
    assert now["household_size"] == 3 and now["languages"] == ["en", "es"]
    assert now["veteran"] is True and now["annual_income"] == 24000
    assert sorted(n["code"] for n in now["needs"]) == ["food-insecurity", "housing-instability"]


def fields_of(html: str, action: str) -> dict[str, list[str]]:
    """The form posting to `action` as a browser sends it, every value of each name."""
    from tests.test_listing_save import _Form

    parser = _Form(action)
    parser.feed(html)
    fields: dict[str, list[str]] = {}
    for name, value in parser.fields:
        fields.setdefault(name, []).append(value)
    return fields
