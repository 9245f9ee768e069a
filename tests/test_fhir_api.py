"""The /fhir endpoints through HTTP: OperationOutcome errors, metadata, reads by role,
Task search and polling, idempotent full-resource PUT with the version rule."""

from __future__ import annotations

import pytest
from fhir_support import FHIR_JSON, issue, timeline


def test_every_error_is_an_operation_outcome(fhir, referral):
    rid = referral["id"]
    found = issue(no_token := fhir("GET", f"/fhir/Task/{rid}", who=None))
    assert no_token.status_code == 401 and found["code"] == "login"
    assert no_token.headers["WWW-Authenticate"].startswith("Bearer")
    for who in ("agency_b", "coord_b"):  # policy says no: as if it did not exist
        response = fhir("GET", f"/fhir/Task/{rid}", who=who)
        assert response.status_code == 404 and issue(response)["code"] == "not-found"
    assert issue(fhir("GET", "/fhir/Nothing/here")).get("code") == "not-found"
    wrong = fhir("DELETE", f"/fhir/Task/{rid}")
    assert wrong.status_code == 405 and issue(wrong)["code"] == "not-supported"
    bad = fhir("PUT", f"/fhir/Task/{rid}", data="{not json", content_type=FHIR_JSON)
    assert bad.status_code == 400 and issue(bad)["expression"] == ["Task"]
    bad_token = fhir("GET", f"/fhir/Task/{rid}", who=None,
                     headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401 and issue(bad_token)["code"] == "login"
    search = fhir("GET", "/fhir/Task?owner=Organization/x&colour=blue")
    assert search.status_code == 400 and "colour" in issue(search)["diagnostics"]


def test_metadata_is_an_r4_capability_statement(fhir):
    response = fhir("GET", "/fhir/metadata", who=None)
    assert response.status_code == 200 and response.mimetype == FHIR_JSON
    cap = response.get_json()
    assert cap["resourceType"] == "CapabilityStatement" and cap["fhirVersion"] == "4.0.1"
    kinds = {r["type"]: r for r in cap["rest"][0]["resource"]}
    assert {c["code"] for c in kinds["Task"]["interaction"]} == {"read", "update",
                                                                 "search-type"}
    assert {p["name"] for p in kinds["Task"]["searchParam"]} >= {
        "owner", "status", "_lastUpdated", "_id", "focus"}
    assert {c["code"] for c in kinds["Procedure"]["interaction"]} == {"create", "read"}
    for kind in ("ServiceRequest", "Patient", "Consent", "Organization"):
        assert {"code": "read"} in kinds[kind]["interaction"], kind
    assert "Bearer" in cap["rest"][0]["security"]["description"]


def test_reads_by_role(fhir, referral):
    rid = referral["id"]
    task = fhir("GET", f"/fhir/Task/{rid}").get_json()
    assert task["status"] == "requested" and task["meta"]["versionId"]
    sr = fhir("GET", f"/fhir/ServiceRequest/{rid}")
    assert sr.status_code == 200 and sr.headers["ETag"].startswith('W/"')
    patient_id = sr.get_json()["subject"]["reference"].split("/")[1]
    mine = fhir("GET", f"/fhir/Patient/{patient_id}").get_json()  # the agency: minimum
    assert mine["birthDate"] == "1991" and "gender" not in mine
    assert mine["name"][0] == {"use": "usual", "text": "Wren Q. Halvorsen",
                               "family": "Halvorsen", "given": ["Wren", "Q."]}
    assert "12345" not in str(mine) and "medicaid" not in str(mine)
    full = fhir("GET", f"/fhir/Patient/{patient_id}", who="coord_a").get_json()
    assert full["birthDate"] == "1991-07-14" and full["gender"] == "female"
    for who in ("agency_b", "coord_b"):
        for path in (f"/fhir/Patient/{patient_id}", f"/fhir/ServiceRequest/{rid}",
                     f"/fhir/Consent/{sr.get_json()['supportingInfo'][0]['reference'][8:]}"):
            assert fhir("GET", path, who=who).status_code == 404, (who, path)
    consent = fhir("GET", "/fhir/" + sr.get_json()["supportingInfo"][0]["reference"])
    assert consent.get_json()["resourceType"] == "Consent"
    owner = fhir("GET", "/fhir/" + task["owner"]["reference"]).get_json()
    assert owner["resourceType"] == "Organization"
    care = task["requester"]  # a PractitionerRole; the care organization is readable too
    assert care["reference"].startswith("PractitionerRole/")


def test_screening_is_the_reason_for_the_referrer_only(fhir, referral):
    rid = referral["id"]
    bundle = fhir("GET", f"/api/v1/referrals/{rid}/fhir", who="coord_a").get_json()
    found = {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"]}
    (reason,) = found["ServiceRequest"]["reasonReference"]
    observation = found["Observation"]
    assert reason["reference"] == f"Observation/{observation['id']}"
    assert observation["code"]["coding"][0]["code"] == "88122-7"  # food worry: often
    assert found["Task"]["reasonReference"] == reason
    assert found["ServiceRequest"]["code"]["coding"][0]["code"] == "467771000124109"
    agency = fhir("GET", f"/api/v1/referrals/{rid}/fhir").get_json()
    kinds = [e["resource"]["resourceType"] for e in agency["entry"]]
    assert "Observation" not in kinds and "reasonReference" not in str(agency)


def test_canonical_code_system_url_is_the_setting_not_the_host(app, fhir, referral):
    app.config["RESDIR_FHIR_CANONICAL"] = "https://fhir.resdir.example/codes"
    task = fhir("GET", f"/fhir/Task/{referral['id']}", headers={"Host": "evil.example"})
    patient = fhir("GET", "/fhir/" + task.get_json()["for"]["reference"]).get_json()
    assert patient["identifier"][0]["system"] == (
        "https://fhir.resdir.example/codes/NamingSystem/client-id")
    assert "evil" not in task.get_data(as_text=True)


def test_search_polls_by_owner_and_last_updated_with_paging(app, fhir, people, referral):
    from fhir_support import CONSENT

    owner = f"Organization/{people.pantry_org}"
    first = fhir("GET", f"/fhir/Task?owner={owner}").get_json()
    assert first["type"] == "searchset" and first["total"] == 1
    seen = first["entry"][0]["resource"]["meta"]["lastUpdated"]
    assert fhir("GET", f"/fhir/Task?owner={owner}&_lastUpdated=gt{seen}").get_json()[
        "total"] == 0
    # A second referral arrives: polling from what was seen finds exactly it.
    second = fhir.client.post("/api/v1/referrals", headers=people.bearer("coord_a"), json={
        "client_id": referral["client"]["id"], "service_id": referral["service"]["id"],
        "need": "food-insecurity", "confirm_duplicate": True, "consent": CONSENT}).get_json()
    polled = fhir("GET", f"/fhir/Task?owner={owner}&_lastUpdated=gt{seen}").get_json()
    assert [e["resource"]["id"] for e in polled["entry"]] == [second["id"]]
    page1 = fhir("GET", f"/fhir/Task?owner={owner}&_count=1").get_json()
    links = {link["relation"]: link["url"] for link in page1["link"]}
    assert page1["total"] == 2 and len(page1["entry"]) == 1 and "previous" not in links
    page2 = fhir("GET", links["next"].split("://", 1)[1].split("/", 1)[1].join(["/", ""]))
    assert [e["resource"]["id"] for e in page2.get_json()["entry"]] != [
        e["resource"]["id"] for e in page1["entry"]]
    assert "next" not in {link["relation"] for link in page2.get_json()["link"]}
    for query, expected in ((f"_id={referral['id']}", 1), ("status=accepted", 0),
                            ("status=requested,accepted", 2),
                            (f"focus=ServiceRequest/{second['id']}", 1)):
        assert fhir("GET", f"/fhir/Task?{query}").get_json()["total"] == expected, query
    other = fhir("GET", f"/fhir/Task?owner={owner}", who="agency_b").get_json()
    assert other["total"] == 0  # another agency's Tasks are simply not there
    bad = fhir("GET", "/fhir/Task?_lastUpdated=gtyesterday")
    assert bad.status_code == 400 and issue(bad)["expression"] == ["_lastUpdated"]


def _task(fhir, rid, who="agency_a"):
    return fhir("GET", f"/fhir/Task/{rid}", who=who).get_json()


def test_put_of_the_same_task_is_idempotent(app, fhir, referral):
    rid = referral["id"]
    task = _task(fhir, rid)
    task["status"] = "accepted"
    assert fhir("PUT", f"/fhir/Task/{rid}", json=task).status_code == 200
    before = timeline(app, rid)
    again = fhir("PUT", f"/fhir/Task/{rid}", json=task)  # meta.versionId is now old
    assert again.status_code == 200 and again.get_json()["status"] == "accepted"
    assert timeline(app, rid) == before
    current = _task(fhir, rid)
    assert fhir("PUT", f"/fhir/Task/{rid}", json=current,
                headers={"If-Match": f'W/"{current["meta"]["versionId"]}"'}).status_code == 200
    assert timeline(app, rid) == before


@pytest.mark.parametrize("element,value", [
    ("owner", {"reference": "Organization/someone-else"}),
    ("for", {"reference": "Patient/another"}),
    ("priority", "stat"),
    ("focus", None),
    ("description", "Please hurry"),
])
def test_put_refuses_changes_the_owner_may_not_make(fhir, referral, element, value):
    task = _task(fhir, referral["id"])
    task["status"] = "accepted"
    if value is None:
        del task[element]
    else:
        task[element] = value
    response = fhir("PUT", f"/fhir/Task/{referral['id']}", json=task)
    assert response.status_code == 422
    found = issue(response)
    assert found["expression"] == [f"Task.{element}"]
    assert f"Task.{element} cannot be changed" in found["diagnostics"]
    assert _task(fhir, referral["id"])["status"] == "requested"  # nothing half-applied


def test_versions_stale_and_missing(app, fhir, referral):
    rid = referral["id"]
    old = _task(fhir, rid)
    old["status"] = "accepted"
    assert fhir("PUT", f"/fhir/Task/{rid}", json=old).status_code == 200
    # If-Match with the old version: 412, whatever the body says.
    stale = dict(old, status="in-progress")
    refused = fhir("PUT", f"/fhir/Task/{rid}", json=stale, headers={"If-Match": 'W/"1"'})
    assert refused.status_code == 412 and issue(refused)["expression"] == ["If-Match"]
    # meta.versionId from before the accept, with a change: 409 saying what changed.
    conflict = fhir("PUT", f"/fhir/Task/{rid}", json=stale)
    found = issue(conflict)
    assert conflict.status_code == 409 and found["expression"] == ["Task.meta.versionId"]
    assert "now version" in found["diagnostics"] and "accepted" in found["diagnostics"]
    # No version at all: judged against the current state.
    del stale["meta"]
    started = fhir("PUT", f"/fhir/Task/{rid}", json=stale)
    assert started.status_code == 200 and started.get_json()["status"] == "in-progress"
    stale["status"] = "accepted"  # in-progress -> accepted is no move of the machine
    illegal = fhir("PUT", f"/fhir/Task/{rid}", json=stale)
    found = issue(illegal)
    assert illegal.status_code == 422 and found["expression"] == ["Task.status"]
    assert "cannot become accepted" in found["diagnostics"]
    assert "someone else" not in found["diagnostics"]


def test_notes_are_appended_and_business_status_makes_a_new_version(app, fhir, referral):
    rid = referral["id"]
    task = _task(fhir, rid)
    noted = fhir("PUT", f"/fhir/Task/{rid}", json=dict(
        task, note=[{"text": "Left a voicemail"}])).get_json()
    assert [n["text"] for n in noted["note"]] == ["Left a voicemail"]
    # A note overwrites nothing: no new version (one rule with resdir.versioning).
    assert noted["meta"]["versionId"] == task["meta"]["versionId"]
    noted["businessStatus"] = {"text": "Waiting for documents"}
    done = fhir("PUT", f"/fhir/Task/{rid}", json=noted).get_json()
    assert done["businessStatus"] == {"text": "Waiting for documents"}
    assert [n["text"] for n in done["note"]] == ["Left a voicemail",
                                                 "Business status: Waiting for documents"]
    assert int(done["meta"]["versionId"]) == int(task["meta"]["versionId"]) + 1
    before = timeline(app, rid)
    assert fhir("PUT", f"/fhir/Task/{rid}", json=done).status_code == 200
    assert _task(fhir, rid)["meta"]["versionId"] == done["meta"]["versionId"]
    assert timeline(app, rid) == before
    # A note left out of a PUT is kept (the timeline is append-only), not deleted.
    assert [n["text"] for n in fhir("PUT", f"/fhir/Task/{rid}", json=dict(
        done, note=[])).get_json()["note"]][0] == "Left a voicemail"
