"""Hostile input is a 400 naming the field, never a 500, on SQLite and PostgreSQL (issue 9
item 9): NUL characters in path ids, unpaired surrogates in JSON, values longer than their
column, objects where text belongs; and the same yes/no spelling for every parameter."""

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resdir import create_app
from resdir.directory import models as m
from resdir.extensions import db

CONSENT = {"given": True, "method": "verbal", "scope": "Name, age, ZIP and the need"}
NUL_PATHS = [
    "/programs/%00", "/api/v1/services/%00", "/hsds/services/%00", "/hsds/organizations/%00",
    "/hsds/service_at_locations/%00", "/hsds/taxonomies/%00", "/hsds/taxonomy_terms/%00",
]
NUL_SIGNED_IN = ["/api/v1/clients/%00", "/api/v1/referrals/%00", "/api/v1/referrals/%00/fhir"]


@pytest.fixture
def api(app, people):
    client = app.test_client()

    def call(method, path, who="coord_a", body=None, **kwargs):
        if body is not None:  # sent as written: json= would refuse a lone surrogate
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return client.open(path, method=method, headers=people.bearer(who), **kwargs)

    return call


def error_of(response) -> dict:
    assert response.status_code == 400, (response.status_code, response.get_data()[:300])
    return response.get_json()["error"]


@pytest.mark.parametrize("path", NUL_PATHS)
def test_nul_in_a_public_path_id_is_400_naming_it(client, mini, path):
    error = error_of(client.get(path, headers={"Accept": "application/json"}))
    assert "NUL" in error["message"] and error["parameter"].endswith("_id")


@pytest.mark.parametrize("path", NUL_SIGNED_IN)
def test_nul_in_a_client_or_referral_id_is_400(api, path):
    error = error_of(api("GET", path))
    assert error["parameter"] in ("client_id", "referral_id")


def test_nul_in_a_page_id_is_400(app, people):
    client = people.login(app.test_client(), "coord_a")
    for path in ("/clients/%00", "/referrals/%00"):
        assert client.get(path).status_code == 400


@pytest.fixture
def client_id(api):
    created = api("POST", "/api/v1/clients", body={"name": "Wren Halvorsen", "zip": "15219"})
    return created.get_json()["id"]


def test_lone_surrogate_in_client_json_is_400_naming_the_field(api, client_id):
    error = error_of(api("POST", "/api/v1/clients", body={"name": "Ada\ud800", "zip": "15213"}))
    assert error["parameter"] == "name" and "surrogate" in error["message"]
    error = error_of(api("PATCH", f"/api/v1/clients/{client_id}",
                         body={"name": "\udfff", "version": 1}))
    assert error["parameter"] == "name"
    error = error_of(api("POST", "/api/v1/clients", body={"needs": ["food\ud800"]}))
    assert error["parameter"] == "needs[0]"


@pytest.mark.parametrize("need", [{"nested": "object"}, ["food-insecurity"], 7, None])
def test_a_referral_need_that_is_not_text_is_400_naming_it(api, app, client_id, need):
    """A JSON object as the need was looked up in the need table as a key: 500."""
    with app.app_context():
        pantry = db.session.query(m.Service.id).filter_by(name="Hilltop Food Pantry").scalar()
    response = api("POST", "/api/v1/referrals", body={
        "client_id": client_id, "service_id": pantry, "need": need, "consent": CONSENT})
    assert response.status_code == 400
    assert error_of(response)["parameter"] == "need"


def test_lone_surrogate_in_referral_notes_is_400(api, app, client_id):
    with app.app_context():
        pantry = db.session.query(m.Service.id).filter_by(name="Hilltop Food Pantry").scalar()
    made = api("POST", "/api/v1/referrals", body={
        "client_id": client_id, "service_id": pantry, "need": "food-insecurity",
        "consent": CONSENT})
    assert made.status_code == 201
    rid = made.get_json()["id"]
    error = error_of(api("POST", f"/api/v1/referrals/{rid}/notes", body={"note": "hi \ud83d"}))
    assert error["parameter"] == "note"
    error = error_of(api("POST", "/api/v1/referrals", body={
        "client_id": client_id, "service_id": pantry, "need": "food-insecurity",
        "note": "\ud800", "consent": CONSENT}))
    assert error["parameter"] == "note"


@pytest.mark.parametrize("given_by", ["a legal guardian of the client", {"who": "guardian"},
                                      ["client"], 7])
def test_consent_given_by_must_be_short_text(api, app, client_id, given_by):
    with app.app_context():
        pantry = db.session.query(m.Service.id).filter_by(name="Hilltop Food Pantry").scalar()
    error = error_of(api("POST", "/api/v1/referrals", body={
        "client_id": client_id, "service_id": pantry, "need": "food-insecurity",
        "consent": {**CONSENT, "given_by": given_by}}))
    assert error["parameter"] == "consent.given_by"
    assert "20 characters" in error["message"]


def _edit(client, sid, csrf_token, **changes):
    token = csrf_token(client, f"/agency/programs/{sid}/edit")
    page = client.get(f"/agency/programs/{sid}/edit").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    fields = dict(re.findall(r'<input id="(\w+)" name="\w+" value="([^"]*)"', page))
    fields.update({"status": "active", "csrf_token": token, "version": version, **changes})
    return client.post(f"/agency/programs/{sid}/edit", data=fields)


@pytest.mark.parametrize(("field", "value", "says"), [
    ("phone", "412-555-0100 " * 4, "at most 40"),
    ("program_url", "https://example.org/" + "a" * 500, "at most 500"),
    ("program_email", "a" * 300 + "@example.org", "at most 300"),
    ("program_url", "javascript:alert(document.cookie)", "http:// or https://"),
    ("program_url", "data:text/html,<script>alert(1)</script>", "http:// or https://"),
])
def test_agency_form_refuses_overlong_values_and_script_urls(app, people, csrf_token, field,
                                                             value, says):
    client = people.login(app.test_client(), "agency_a")
    with app.app_context():
        service = db.session.query(m.Service).filter_by(name="Hilltop Food Pantry").one()
        sid, before = service.id, (service.url, service.email, service.version)
    response = _edit(client, sid, csrf_token, **{field: value})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert field in page and says in page
    with app.app_context():
        service = db.session.get(m.Service, sid)
        assert (service.url, service.email, service.version) == before


def test_search_on_an_empty_directory_answers(client):
    response = client.get("/api/v1/search")
    assert response.status_code == 200
    assert response.get_json()["total"] == 0


def test_import_into_a_database_never_set_up_says_to_run_setup(tmp_path, pg_server):
    if pg_server is None:
        url = f"sqlite:///{tmp_path / 'never-set-up.sqlite3'}"
    else:
        pg_server.execute("CREATE DATABASE resdir_never_set_up")
        url = pg_server.url("resdir_never_set_up")
    app = create_app({"TESTING": True, "RESDIR_DATABASE_URL": url,
                      "RESDIR_INDEX_DIR": str(tmp_path / "index")})
    result = app.test_cli_runner().invoke(args=["resdir", "import", "tests/data/mini.csv"])
    assert result.exit_code != 0
    assert "resdir setup" in result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(
        result.exception, SystemExit)
    with app.app_context():
        db.engine.dispose()


# -- one spelling of yes and no -----------------------------------------------------------


@pytest.mark.parametrize("word", ["false", "0", "no", "off", ""])
def test_overdue_false_is_false_on_the_page_and_the_api(api, app, people, client_id, word):
    with app.app_context():
        pantry = db.session.query(m.Service.id).filter_by(name="Hilltop Food Pantry").scalar()
    assert api("POST", "/api/v1/referrals", body={
        "client_id": client_id, "service_id": pantry, "need": "food-insecurity",
        "consent": CONSENT}).status_code == 201  # just made: not overdue
    listed = api("GET", f"/api/v1/referrals?overdue={word}").get_json()
    assert listed["total"] == 1
    page = people.login(app.test_client(), "coord_a").get(f"/referrals?overdue={word}")
    assert page.status_code == 200 and "Hilltop Food Pantry" in page.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/api/v1/search?open_now={}", "/hsds/services?full={}",
                                  "/api/v1/referrals?overdue={}"])
def test_every_flag_takes_the_same_words(api, path):
    for word in ("1", "true", "yes", "on", "0", "false", "no", "off", "TRUE"):
        assert api("GET", path.format(word)).status_code == 200, word
    error = error_of(api("GET", path.format("maybe")))
    assert "true or false" in error["message"]


# -- property test: hostile values in every field -------------------------------------------

HOSTILE = st.sampled_from([
    "\x00", "a\x00b", "\ud800", "x\udfffy", "a" * 5000, "javascript:alert(1)", "", " ",
    {"nested": "object"}, ["list"], 10**30, -(10**30), 1e308, -1, 0, True, None, 2.5,
    "9" * 40, "1e999", "NaN", "<script>alert(1)</script>", "' OR 1=1 --", "%00", "\u202e",
])
CLIENT_FIELDS = ["name", "zip", "state", "age", "birth_date", "household_size",
                 "annual_income", "languages", "veteran", "insurance", "pregnant", "gender",
                 "disability", "needs", "care_organization_id", "lat", "lon", "version",
                 "phone", "email", "email_ok", "contact_method", "contact_times", "address"]
REFERRAL_FIELDS = ["client_id", "service_id", "need", "note", "priority",
                   "contact_preference", "confirm_duplicate", "consent", "consent.given",
                   "consent.method", "consent.scope", "consent.given_by", "consent.contact"]
CHANGE_FIELDS = ["status", "reason", "reason_text", "outcome", "version", "note"]
CAPACITY_FIELDS = ["capacity_status", "capacity_available", "capacity_maximum", "version"]
SLOW = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _with(body: dict, field: str, value) -> dict:
    body = json.loads(json.dumps(body))
    if "." in field:
        outer, inner = field.split(".")
        body[outer] = {**body[outer], inner: value}
    else:
        body[field] = value
    return body


def _sent(response, what) -> None:
    assert response.status_code < 500, (what, response.get_data()[:400])


@SLOW
@given(data=st.data())
def test_hostile_json_never_500(api, app, client_id, data):
    with app.app_context():
        pantry = db.session.query(m.Service.id).filter_by(name="Hilltop Food Pantry").scalar()
    field, value = data.draw(st.sampled_from(CLIENT_FIELDS)), data.draw(HOSTILE)
    body = {"name": "Ines Varga", "zip": "15213", field: value}
    _sent(api("POST", "/api/v1/clients", body=body), ("create", field, value))
    _sent(api("PATCH", f"/api/v1/clients/{client_id}", body={"version": 1, field: value}),
          ("update", field, value))
    field, value = data.draw(st.sampled_from(REFERRAL_FIELDS)), data.draw(HOSTILE)
    referral = {"client_id": client_id, "service_id": pantry, "need": "food-insecurity",
                "consent": CONSENT, "confirm_duplicate": True}
    made = api("POST", "/api/v1/referrals", body=_with(referral, field, value))
    _sent(made, ("refer", field, value))
    # Drawn whether or not a referral exists: what hypothesis draws must not depend on the
    # database, which keeps the earlier examples' rows (a referral missing in one example and
    # present in a later one with the same first choices was FlakyStrategyDefinition: failed
    # with --hypothesis-seed=25, about one seed in 25).
    field, value = data.draw(st.sampled_from(CHANGE_FIELDS)), data.draw(HOSTILE)
    rid = api("GET", "/api/v1/referrals").get_json()["results"]
    if rid:
        rid = rid[0]["id"]
        _sent(api("PATCH", f"/api/v1/referrals/{rid}", who="agency_a",
                  body={"status": "accepted", "version": 1, field: value}),
              ("change", field, value))
        _sent(api("POST", f"/api/v1/referrals/{rid}/notes", body={"note": value}),
              ("note", value))
    field, value = data.draw(st.sampled_from(CAPACITY_FIELDS)), data.draw(HOSTILE)
    _sent(api("PATCH", f"/api/v1/services/{pantry}", who="agency_a",
              body={"capacity_status": "waitlist", "version": 1, field: value}),
          ("capacity", field, value))
    _sent(api("POST", "/api/v1/match", body={"client": {"zip": "15213", field: value},
                                             "needs": ["food-insecurity"], "words": value}),
          ("match", field, value))


FORM_TEXT = st.sampled_from(["a\x00b", "a" * 5000, "javascript:x", "", "12abc", "-1",
                             "99999999999999999999", "Mo 25:00-26:00", "yes", "\u202e"])


@pytest.fixture
def signed_in(app, people):
    """An agency and a coordinator browser, signed in once (sign-in is rate limited)."""
    with app.app_context():
        pantry = db.session.query(m.Service.id).filter_by(name="Hilltop Food Pantry").scalar()
    return (people.login(app.test_client(), "agency_a"),
            people.login(app.test_client(), "coord_a"), pantry)


@SLOW
@given(data=st.data())
def test_hostile_forms_never_500(signed_in, csrf_token, data):
    from resdir.agencies.listing import EDITABLE

    agency, coordinator, pantry = signed_in
    field, value = data.draw(st.sampled_from(EDITABLE)), data.draw(FORM_TEXT)
    _sent(_edit(agency, pantry, csrf_token, **{field: value}), ("edit", field, value))
    token = csrf_token(coordinator, "/clients/new")
    field = data.draw(st.sampled_from(["name", "zip", "age", "household_size",
                                       "annual_income", "need", "birth_date", "language"]))
    _sent(coordinator.post("/clients/new", data={"name": "Kit", "csrf_token": token,
                                                 field: value}), ("client form", field, value))
    kind = data.draw(st.sampled_from(["hours", "phone", "closed", "other", value]))
    _sent(coordinator.post(f"/programs/{pantry}/suggest", data={
        "kind": kind, "text": value, "csrf_token": token}), ("suggest", kind, value))
