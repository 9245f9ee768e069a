"""Clients, screening and matching through the API and the pages."""

import pytest

from resdir.audit.models import AuditEvent
from resdir.extensions import db
from resdir.matching.models import Client


def test_create_read_update_client(app, api, people):
    created = api("POST", "/api/v1/clients", json={
        "name": "Dalia Fernwood", "zip": "15219", "age": 67, "household_size": 2,
        "annual_income": 24000, "languages": ["en", "es"], "insurance": "medicare",
        "needs": ["food-insecurity"]})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["age"] == 67 and body["state"] == "PA"
    assert body["needs"] == [{"code": "food-insecurity", "source": "selected"}]
    got = api("GET", f"/api/v1/clients/{body['id']}").get_json()
    assert got["name"] == "Dalia Fernwood"
    patched = api("PATCH", f"/api/v1/clients/{body['id']}",
                  json={"household_size": 3, "version": got["version"]})
    assert patched.status_code == 200
    assert patched.get_json()["household_size"] == 3 and patched.get_json()["age"] == 67
    stale = api("PATCH", f"/api/v1/clients/{body['id']}",
                json={"household_size": 4, "version": got["version"]})
    assert stale.status_code == 409
    with app.app_context():
        actions = [e.action for e in db.session.query(AuditEvent).filter_by(
            record_id=body["id"]).order_by(AuditEvent.id)]
    assert actions[:3] == ["client.create", "client.read", "client.update"]


@pytest.mark.parametrize(("facts", "field"), [
    ({"age": -1}, "age"), ({"household_size": 0}, "household_size"),
    ({"annual_income": "lots"}, "annual_income"), ({"insurance": "gold"}, "insurance"),
    ({"zip": "00000"}, "zip"), ({"needs": ["hunger"]}, "needs"), ({"favourite": 1}, "favourite"),
])
def test_bad_client_facts_are_400_naming_the_field(api, facts, field):
    response = api("POST", "/api/v1/clients", json=facts)
    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == field


def test_other_care_organization_cannot_see_the_client(api):
    cid = api("POST", "/api/v1/clients", json={"zip": "15213"}).get_json()["id"]
    assert api("GET", f"/api/v1/clients/{cid}", who="coord_b").status_code == 404
    assert api("GET", f"/api/v1/clients/{cid}", who="agency_a").status_code == 404
    assert api("GET", f"/api/v1/clients/{cid}", who="admin").status_code == 200


def test_match_with_selected_needs_groups_results_and_explains(api):
    response = api("POST", "/api/v1/match", json={
        "client": {"zip": "15213", "age": 30, "household_size": 1, "annual_income": 20000},
        "needs": ["food-insecurity", "housing-instability"]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["poverty_guideline"]["year"] == 2026
    assert body["poverty_guideline"]["region"] == "contiguous"
    assert body["poverty_guideline"]["percent"] == 125
    food, housing = body["needs"]
    assert food["code"] == "food-insecurity" and food["source"] == "selected"
    assert "Hilltop Food Pantry" in [r["name"] for r in food["results"]]
    rent = next(r for r in housing["results"] if r["name"] == "Emergency Rent Assistance")
    rules = {r["rule"]: r for r in rent["eligibility"]["rules"]}
    assert rules["income"]["result"] == "pass"
    assert rent["eligibility"]["status"] == "eligible"
    assert any("mi away" in w for w in rent["why"])
    assert rent["score"] > 0


def test_programs_that_say_what_the_need_is_about_come_first(api, make_service):
    """On the Miami 211 import, a client's intimate partner violence need (Safety and Legal
    help) listed a public defender, a court reporter and a neighborhood office first, all
    nearer than any domestic violence program: the two categories also hold police, courts
    and legal aid of every kind. The programs that say what the need is about come first."""
    make_service("County Court Reporters", categories=("legal",), lat=40.4442, lon=-79.9557,
                 description="Transcripts of court hearings for attorneys and the public.")
    make_service("Zone 4 Police Station", categories=("safety",), lat=40.4450, lon=-79.9560,
                 description="Non-emergency police reports and neighborhood patrols.")
    make_service("Harbor House", categories=("safety", "housing"), lat=40.4800, lon=-79.9200,
                 description="A 24-hour domestic violence shelter with safety planning.")
    make_service("Family Law Clinic", categories=("legal",), lat=40.4700, lon=-79.9300,
                 description="Protective orders and custody help for survivors of abuse.")
    body = api("POST", "/api/v1/match", json={
        "client": {"zip": "15213"}, "needs": ["intimate-partner-violence"]}).get_json()
    names = [r["name"] for r in body["needs"][0]["results"]]
    about = [names.index(n) for n in ("Harbor House", "Family Law Clinic")]
    nearer = [names.index(n) for n in ("Zone 4 Police Station", "County Court Reporters")]
    assert max(about) < min(nearer), names
    harbor = next(r for r in body["needs"][0]["results"] if r["name"] == "Harbor House")
    assert "Offers help with domestic violence" in harbor["why"]
    # The coordinator's own words still decide when given.
    worded = api("POST", "/api/v1/match", json={
        "client": {"zip": "15213"}, "needs": ["intimate-partner-violence"],
        "words": "police reports"}).get_json()
    assert worded["needs"][0]["results"][0]["name"] == "Zone 4 Police Station"


def test_ineligible_programs_are_listed_apart_with_the_failing_rule(api):
    body = api("POST", "/api/v1/match", json={
        "client": {"zip": "15213", "household_size": 1, "annual_income": 60000},
        "needs": ["housing-instability"]}).get_json()
    (housing,) = body["needs"]
    assert "Emergency Rent Assistance" not in [r["name"] for r in housing["results"]]
    (rent,) = [r for r in housing["ineligible"] if r["name"] == "Emergency Rent Assistance"]
    failing = [r for r in rent["eligibility"]["rules"] if r["result"] == "fail"]
    assert failing[0]["rule"] == "income" and "above the 200% limit" in failing[0]["detail"]


def test_unknown_facts_never_make_a_program_eligible(api):
    body = api("POST", "/api/v1/match", json={"client": {"zip": "15213"},
                                               "needs": ["housing-instability"]}).get_json()
    rent = next(r for r in body["needs"][0]["results"]
                if r["name"] == "Emergency Rent Assistance")
    assert rent["eligibility"]["status"] == "likely"
    assert "income" in rent["eligibility"]["summary"]


def test_match_from_screening_answers(api):
    body = api("POST", "/api/v1/match", json={
        "client": {"zip": "15206"},
        "screening": {"ahc_hrsn": {"living_situation": "no_steady_place", "food_worry": "never",
                                   "food_didnt_last": "never",
                                   "safety": {"hurt": 2, "insult": 3, "threaten": 3,
                                              "scream": 3}}}}).get_json()
    codes = [(n["code"], n["source"]) for n in body["needs"]]
    assert ("homelessness", "screening") in codes
    assert ("intimate-partner-violence", "screening") in codes
    assert ("food-insecurity", "screening") not in codes
    assert body["screening"]["review"]  # "physically hurt" above Never is flagged


def test_match_by_client_id_uses_stored_needs(api):
    cid = api("POST", "/api/v1/clients", json={"zip": "15213", "needs": ["food-insecurity"]}
              ).get_json()["id"]
    body = api("POST", "/api/v1/match", json={"client_id": cid}).get_json()
    assert [n["code"] for n in body["needs"]] == ["food-insecurity"]
    assert api("POST", "/api/v1/match", json={"client_id": cid}, who="coord_b").status_code == 404


def test_screening_is_kept_with_date_and_screener(app, api, people):
    cid = api("POST", "/api/v1/clients", json={"zip": "15213"}).get_json()["id"]
    response = api("POST", f"/api/v1/clients/{cid}/screenings",
                   json={"ahc_hrsn": {"transportation": True, "utilities": "already_shut_off"}})
    assert response.status_code == 201
    client = api("GET", f"/api/v1/clients/{cid}").get_json()
    assert {n["code"] for n in client["needs"]} == {"transportation-insecurity",
                                                    "utility-insecurity"}
    assert client["screenings"][0]["screener_id"] == people.ids["coord_a"]
    bad = api("POST", f"/api/v1/clients/{cid}/screenings",
              json={"ahc_hrsn": {"utilities": "maybe"}})
    assert bad.status_code == 400 and bad.get_json()["error"]["parameter"] == \
        "screening.utilities"


def test_find_help_page(app, people, csrf_token):
    client = people.login(app.test_client(), "coord_a")
    token = csrf_token(client, "/clients/new")
    response = client.post("/clients/new", data={
        "name": "Orrin Blackwood", "zip": "15213", "age": "45", "household_size": "1",
        "annual_income": "18,000", "need": ["food-insecurity", "housing-instability"],
        "csrf_token": token})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Find help for Orrin Blackwood" in page
    assert "Hilltop Food Pantry" in page and "Emergency Rent Assistance" in page
    assert "113% of the 2026 federal poverty guideline" in page
    assert "PASS: " in page  # the rules behind each chip
    assert "Orrin" not in response.headers["Location"]  # no client data in URLs
    with app.app_context():
        assert db.session.query(Client).count() == 1


def test_screening_page_turns_answers_into_needs(app, people, csrf_token):
    client = people.login(app.test_client(), "coord_a")
    with app.app_context():
        from resdir.auth.models import User
        from resdir.matching.operations import create_client

        cid = create_client(db.session.get(User, people.ids["coord_a"]), {"zip": "15213"}).id
    token = csrf_token(client, f"/clients/{cid}/screening")
    response = client.post(f"/clients/{cid}/screening", data={
        "food_worry": "sometimes", "safety_hurt": "3", "safety_insult": "1",
        "safety_threaten": "1", "safety_scream": "1", "csrf_token": token})
    assert response.status_code == 303
    page = client.get(f"/clients/{cid}").get_data(as_text=True)
    assert "Food Insecurity" in page
    assert "physically hurt" in page  # review flag shown


def test_admin_edits_the_crosswalk(app, people, csrf_token, api):
    admin = people.login(app.test_client(), "admin")
    token = csrf_token(admin, "/needs")
    admin.post("/needs", data={"code": "food-insecurity", "category": ["health"],
                               "csrf_token": token})
    body = api("POST", "/api/v1/match", json={"client": {"zip": "15213"},
                                               "needs": ["food-insecurity"]}).get_json()
    assert body["needs"][0]["categories"] == ["health"]
    assert "Hilltop Food Pantry" not in [r["name"] for r in body["needs"][0]["results"]]
