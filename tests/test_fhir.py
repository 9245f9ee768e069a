"""The referral as FHIR, compared field by field with the SDOHCC IG 2.3.0 examples, and
reading agency Task updates. Built from transient model objects (the app only gives the
settings: canonical URL)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from resdir.auth.models import CareOrganization, User
from resdir.directory.models import Organization, Service
from resdir.errors import BadParameter
from resdir.interop.fhir import referral as fhir
from resdir.interop.fhir import task_put
from resdir.interop.fhir.common import TEMPORARY_CODES
from resdir.interop.fhir.context import Context
from resdir.interop.fhir.patient import AGENCY, CARE
from resdir.matching.models import Client
from resdir.matching.needs import load_needs
from resdir.referrals.models import Consent, Referral
from resdir.referrals.states import STATUSES

IG = Path(__file__).resolve().parents[2] / "shared" / "external" / "fhir-sdoh-clinicalcare"
EXAMPLES = IG / "examples-2.3.0"
BASE = "https://resdir.test/fhir"
WHEN = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
# Facts the agency must never see: only ZIP, state, gender and birth date may leave.
SECRET_FACTS = {"annual_income": 9876543, "insurance": "medicaid", "languages": ["tl"],
                "veteran": True, "pregnant": True, "disability": True, "household_size": 7,
                "age": 38, "lat": 40.123456, "lon": -79.654321}


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


SR_EXAMPLE = "ServiceRequest-SDOHCC-ServiceRequestActiveFoodPantryApplicationAssistExample.json"
TASK_ACCEPTED = "Task-SDOHCC-TaskReferralManagementOrderFulfillmentAcceptedExample.json"
TASK_COMPLETED = "Task-SDOHCC-TaskReferralManagementOrderFulfillmentCompletedExample.json"
PROCEDURE = "Procedure-SDOHCC-ProcedureFoodPantryApplicationAssistanceExample.json"
CONSENT = "Consent-SDOHCC-ConsentInformationDisclosureExample.json"
ORGANIZATION = "Organization-SDOHCC-OrganizationCoordinationPlatformExample.json"


def make(status="accepted", *, consent=True, method="written", contact="phone",
         need="food-insecurity", **referral_fields):
    agency = Organization(id="7d1e0a44-0000-4000-8000-000000000001", name="Eastside Food Bank",
                          email="intake@eastside.example", website="https://eastside.example")
    care = CareOrganization(id="7d1e0a44-0000-4000-8000-000000000002", name="Better Health")
    user = User(id="7d1e0a44-0000-4000-8000-000000000003", name="Jan Water",
                email="jan@betterhealth.example", role="coordinator", active=True,
                care_organization_id=care.id)
    person = Client(id="7d1e0a44-0000-4000-8000-000000000004", name="Colin Abbas",
                    care_organization_id=care.id,
                    facts={"zip": "74047", "state": "OK", "gender": "male",
                           "birth_date": "1987-02-20", **SECRET_FACTS})
    service = Service(id="7d1e0a44-0000-4000-8000-000000000005", name="Weekly Pantry",
                      organization_id=agency.id)
    referral = Referral(
        id="7d1e0a44-0000-4000-8000-000000000006", client_id=person.id, service_id=service.id,
        need_code=need, care_organization_id=care.id, referrer_id=user.id,
        agency_organization_id=agency.id, note="Prefers mornings.", priority="urgent",
        contact_preference=contact, status=status, version=4, created_at=WHEN,
        requested_at=WHEN, updated_at=WHEN, **referral_fields)
    if consent is not None:
        referral.consent = Consent(id="7d1e0a44-0000-4000-8000-000000000007", given=consent,
                                   given_by="client", method=method, scope="Name, ZIP, need",
                                   recorded_at=WHEN)
    return referral, person, service, care, agency, user


@pytest.fixture(autouse=True)
def settings():
    """Only the settings: these builders read no database."""
    bare = Flask(__name__)
    bare.config.update(RESDIR_FHIR_CANONICAL="https://codes.resdir.test/fhir",
                       RESDIR_BASE_URL="https://resdir.test")
    with bare.app_context():
        yield


def context(*args, reader=AGENCY, requester=True, **kwargs) -> Context:
    referral, person, service, care, agency, user = make(*args, **kwargs)
    return Context(referral=referral, client=person, service=service, care_org=care,
                   agency_org=agency, requester=user if requester else None, reader=reader)


def build(*args, **kwargs) -> dict:
    return fhir.bundle(context(*args, **kwargs), BASE)


def resources(bundle: dict) -> dict[str, dict]:
    """Type -> resource; two Organizations are keyed by id."""
    out = {}
    for entry in bundle["entry"]:
        r = entry["resource"]
        assert entry["fullUrl"] == f"{BASE}/{r['resourceType']}/{r['id']}"
        key = r["id"] if r["resourceType"] == "Organization" else r["resourceType"]
        out[key] = r
    return out


def references(value) -> list[str]:
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [r for v in value.values() for r in references(v)]
    if isinstance(value, list):
        return [r for v in value for r in references(v)]
    return []


def completed() -> dict:
    return build("completed", outcome_enrollment="enrolled",
                 outcome_provided="Two weeks of groceries", closed_at=WHEN)


def test_bundle_is_a_collection_and_every_reference_resolves():
    for bundle in (build(), completed(), build("draft", consent=False)):
        assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
        full_urls = {e["fullUrl"] for e in bundle["entry"]}
        assert len(full_urls) == len(bundle["entry"])
        refs = references([e["resource"] for e in bundle["entry"]])
        assert refs
        for ref in refs:
            assert f"{BASE}/{ref}" in full_urls, ref


def test_service_request_matches_the_example():
    ex = example(SR_EXAMPLE)
    sr = resources(build())["ServiceRequest"]
    assert sr["meta"]["profile"] == ex["meta"]["profile"]
    assert sr["intent"] == ex["intent"] == "order"
    assert sr["status"] == ex["status"] == "active"
    # Same two categories: SNOMED social service procedure, then the SDOH category.
    assert sr["category"] == ex["category"]
    assert sr["code"]["coding"][0]["system"] == ex["code"]["coding"][0]["system"]
    assert sr["code"]["text"] == "Weekly Pantry (Food Insecurity)"
    assert sr["subject"]["reference"].startswith("Patient/")
    assert sr["priority"] == "urgent" and sr["note"] == [{"text": "Prefers mornings."}]
    assert sr["performer"] == [{"reference": "Organization/" + make()[4].id,
                                "display": "Eastside Food Bank"}]
    assert sr["supportingInfo"][0]["reference"].startswith("Consent/")
    assert sr["authoredOn"] == "2026-03-02T15:30:00Z"


def test_every_need_is_a_2_3_0_sdoh_category_with_its_display():
    codes = json.loads((IG / "sdohcc-2.3.0-codes.json").read_text(encoding="utf-8"))
    categories = {(c["code"], c["display"]) for c in codes["sdoh_categories"]}
    for code in load_needs():
        coding = resources(build(need=code))["ServiceRequest"]["category"][1]["coding"][0]
        assert coding["system"] == codes["code_system"]
        assert (coding["code"], coding["display"]) in categories


@pytest.mark.parametrize("status,expected", [
    ("draft", "draft"), ("requested", "active"), ("accepted", "active"),
    ("in-progress", "active"), ("on-hold", "active"), ("completed", "completed"),
    ("rejected", "revoked"), ("cancelled", "revoked"), ("failed", "revoked"),
    ("entered-in-error", "entered-in-error"),
])
def test_statuses_map_to_service_request_and_referral_task_statuses(status, expected):
    codes = json.loads((IG / "sdohcc-2.3.0-codes.json").read_text(encoding="utf-8"))
    found = resources(build(status))
    assert found["ServiceRequest"]["status"] == expected
    assert found["Task"]["status"] == status
    assert status in codes["referral_task_statuses"]["codes"]


def test_task_matches_the_accepted_example():
    ex = example(TASK_ACCEPTED)
    task = resources(build())["Task"]
    assert task["meta"]["profile"] == ex["meta"]["profile"]
    assert task["intent"] == ex["intent"] == "order"
    assert task["code"] == ex["code"]
    assert task["status"] == ex["status"] == "accepted"
    for field in ("focus", "for", "requester", "owner"):
        kind = ex[field]["reference"].split("/")[0]
        assert task[field]["reference"].split("/")[0] == kind, field
    assert task["focus"]["reference"] == "ServiceRequest/" + task["id"]
    assert set(ex) - {"text", "id"} <= set(task)  # nothing the example has is missing
    assert task["meta"]["versionId"] == "4"
    assert task["authoredOn"] == "2026-03-02T15:30:00Z"
    assert task["owner"]["display"] == "Eastside Food Bank"
    assert "output" not in task and "statusReason" not in task


def test_completed_task_output_mirrors_the_completed_example():
    ex = example(TASK_COMPLETED)
    found = resources(completed())
    task = found["Task"]
    assert set(task["output"][0]) == set(ex["output"][0])
    assert task["output"][0]["type"] == ex["output"][0]["type"]
    assert task["output"][0]["valueReference"]["reference"] == "Procedure/" + task["id"]
    assert task["output"][0]["valueReference"]["display"] == "Two weeks of groceries"
    enrollment = task["output"][1]["valueCodeableConcept"]
    assert enrollment["coding"][0]["code"] == "enrolled" and enrollment["text"] == "Enrolled"
    procedure, pex = found["Procedure"], example(PROCEDURE)
    assert procedure["meta"]["profile"] == pex["meta"]["profile"]
    assert procedure["status"] == pex["status"] == "completed"
    assert procedure["basedOn"] == [{"reference": "ServiceRequest/" + task["id"]}]
    assert procedure["category"] == pex["category"]  # food-insecurity, as the example
    assert procedure["code"]["text"] == "Two weeks of groceries"
    assert procedure["outcome"]["coding"][0]["code"] == "enrolled"
    assert set(pex) - {"text", "id", "reasonReference"} <= set(procedure)


def test_status_reason_carries_the_reason_display_and_words():
    task = resources(build("rejected", status_reason="no-capacity",
                           reason_text="Full until May"))["Task"]
    assert task["statusReason"]["text"] == "No capacity: Full until May"
    assert task["statusReason"]["coding"][0]["code"] == "no-capacity"
    # A reason left from an earlier hold is not shown once work resumes.
    task = resources(build("in-progress", status_reason="no-capacity"))["Task"]
    assert "statusReason" not in task


def test_organizations_and_requester_follow_the_examples():
    ex = example(ORGANIZATION)
    care, agency = make()[3:5]
    found = resources(build())
    for org in (found[care.id], found[agency.id]):
        assert org["meta"]["profile"] == ex["meta"]["profile"] and org["active"] is True
    assert found[agency.id]["telecom"][0] == {"system": "email",
                                              "value": "intake@eastside.example", "use": "work"}
    assert "telecom" not in found[care.id]
    role = found["PractitionerRole"]
    assert role["organization"]["reference"] == "Organization/" + care.id
    # Without a requesting user, the care organization asks.
    no_user = resources(fhir.bundle(context(requester=False), BASE))
    assert no_user["Task"]["requester"]["reference"] == "Organization/" + care.id
    assert "PractitionerRole" not in no_user


# Each fact a client record can hold, and whether an agency's Patient may carry it (README:
# agencies see name, age, ZIP, languages and contact preference).
PLANTED = {"name": True, "zip": True, "languages": True, "birth_year": True,
           "birth_day": False, "gender": False, "state": False, "annual_income": False,
           "insurance": False, "veteran": False, "pregnant": False, "disability": False,
           "household_size": False, "lat": False, "lon": False}


def _shows(patient: dict, fact: str) -> bool:
    text = json.dumps(patient)
    return {"name": "Abbas" in text and "Colin" in text, "zip": "74047" in text,
            "languages": '"tl"' in text, "birth_year": '"1987' in text,
            "birth_day": "1987-02-20" in text, "gender": '"gender": "male"' in text,
            "state": '"OK"' in text, "annual_income": "9876543" in text,
            "insurance": "medicaid" in text, "veteran": "veteran" in text.lower(),
            "pregnant": "pregnan" in text.lower(), "disability": "disab" in text.lower(),
            "household_size": "household" in text.lower(), "lat": "40.123456" in text,
            "lon": "79.654321" in text}[fact]


@pytest.mark.parametrize("fact", sorted(PLANTED))
def test_an_agency_patient_carries_only_what_agencies_see(fact):
    for bundle in (completed(), build()):
        patient = resources(bundle)["Patient"]
        assert _shows(patient, fact) is PLANTED[fact], fact
        if fact not in ("name", "zip", "languages", "birth_year", "state"):
            assert not _shows({"all": bundle}, fact), fact  # nowhere else in the bundle


def test_agency_patient_is_us_core_shaped():
    patient = resources(build())["Patient"]
    assert patient["meta"]["profile"] == [
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]
    assert patient["identifier"] == [{"use": "usual",
                                      "system": "https://codes.resdir.test/fhir/NamingSystem/"
                                                "client-id", "value": make()[1].id}]
    assert patient["name"] == [{"use": "usual", "text": "Colin Abbas", "family": "Abbas",
                                "given": ["Colin"]}]
    assert patient["birthDate"] == "1987"  # the age, not the day
    assert patient["address"] == [{"postalCode": "74047"}]
    assert patient["communication"] == [{"language": {"coding": [
        {"system": "urn:ietf:bcp:47", "code": "tl"}]}}]
    assert "gender" not in patient and patient["_gender"]["extension"][0]["valueCode"] == "masked"


def test_consent_words_let_the_birth_date_and_gender_through():
    referral, person, service, care, agency, user = make()
    referral.consent.scope = "Name, date of birth, gender and ZIP"
    ctx = Context(referral=referral, client=person, service=service, care_org=care,
                  agency_org=agency, requester=user, reader=AGENCY)
    patient = resources(fhir.bundle(ctx, BASE))["Patient"]
    assert patient["birthDate"] == "1987-02-20" and patient["gender"] == "male"


def test_the_referrer_reads_the_whole_patient():
    patient = resources(build(reader=CARE))["Patient"]
    assert patient["birthDate"] == "1987-02-20" and patient["gender"] == "male"
    assert patient["address"] == [{"postalCode": "74047", "state": "OK"}]
    assert "9876543" not in json.dumps(patient) and "medicaid" not in json.dumps(patient)


def test_nothing_personal_before_consent():
    for consent in (None, False):
        bundle = build("draft", consent=consent)
        patient = resources(bundle)["Patient"]
        assert set(patient) == {"resourceType", "id", "meta", "identifier", "name", "_gender"}
        assert "Colin" not in json.dumps(bundle) and "74047" not in json.dumps(bundle)
    assert resources(build("draft", consent=False))["Consent"]["status"] == "proposed"


def test_do_not_contact_is_the_sdohcc_order_detail():
    sr = resources(build(contact="do-not-contact"))["ServiceRequest"]
    assert sr["orderDetail"][0]["coding"] == [{
        "system": TEMPORARY_CODES, "code": "contacting-subject-prohibited",
        "display": "Contacting Subject Prohibited"}]
    sr = resources(build(contact="phone"))["ServiceRequest"]
    assert "coding" not in sr["orderDetail"][0]


def test_consent_matches_the_example():
    ex = example(CONSENT)
    found = resources(build())
    consent, care = found["Consent"], make()[3]
    assert consent["meta"]["profile"] == ex["meta"]["profile"]
    assert consent["status"] == ex["status"] == "active"
    assert consent["scope"] == ex["scope"] and consent["category"] == ex["category"]
    assert consent["policyRule"]["coding"] == ex["policyRule"]["coding"]  # written: HIPAA form
    assert consent["patient"]["reference"] == "Patient/" + found["Patient"]["id"]
    assert consent["organization"][0]["reference"] == "Organization/" + care.id
    assert consent["dateTime"] == "2026-03-02T15:30:00Z"
    words = base64.b64decode(consent["sourceAttachment"]["data"]).decode()
    assert "Written consent given by the client" in words and "Name, ZIP, need" in words
    verbal = resources(build(method="verbal"))["Consent"]["policyRule"]
    assert "coding" not in verbal and verbal["text"].startswith("Verbal consent")


# --- task_update: what an agency system PUTs ---------------------------------------------

def read_task(task: dict, referral: Referral, current: dict | None = None) -> dict:
    """What the PUT route learns from a Task: the parts the old tests check."""
    current = current or resources(build())["Task"]
    found = task_put.read(task, current)
    return {k: found[k] for k in ("status", "reason", "reason_text", "outcome", "version")}


def agency_task(**changes) -> tuple[dict, Referral]:
    referral = make()[0]
    task = resources(build())["Task"]
    task.update(changes)
    return task, referral


def test_task_update_reads_a_completed_task_round_trip():
    referral = make("completed")[0]
    task = resources(completed())["Task"]
    assert read_task(task, referral, current=task) == {
        "status": "completed", "reason": None, "reason_text": None, "version": 4,
        "outcome": {"enrollment": "enrolled", "provided": "Two weeks of groceries",
                    "procedures": [referral.id]}}


def test_task_update_reads_a_foreign_system_task():
    task, referral = agency_task(status="completed", meta={"versionId": "4"}, output=[
        {"type": {"coding": [{"system": TEMPORARY_CODES, "code": "resulting-activity"}]},
         "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct",
                                              "code": "467771000124109"}],
                                  "text": "Food pantry application"}},
        {"type": {"text": "Enrollment status"},
         "valueCodeableConcept": {"text": "on the waitlist"}}])
    result = read_task(task, referral)
    assert result["outcome"] == {"enrollment": "not-enrolled-on-waitlist",
                                 "provided": "Food pantry application", "procedures": []}


@pytest.mark.parametrize("reason,expected", [
    ({"coding": [{"code": "no-capacity"}], "text": "No capacity: Full until May"},
     ("no-capacity", "Full until May")),
    ({"coding": [{"code": "not-eligible"}]}, ("not-eligible", None)),
    ({"text": "Client declined"}, ("client-declined", None)),
    ({"text": "referred-elsewhere"}, ("referred-elsewhere", None)),
    ({"coding": [{"code": "other"}], "text": "Other: moved away"}, ("other", "moved away")),
    ({"text": "Moved out of state"}, ("other", "Moved out of state")),
    ({"coding": [{"system": "urn:x", "code": "moved"}]}, ("other", "moved")),
])
def test_task_update_reads_status_reasons(reason, expected):
    task, referral = agency_task(status="rejected", statusReason=reason)
    result = read_task(task, referral)
    assert (result["reason"], result["reason_text"]) == expected
    assert result["status"] == "rejected" and result["outcome"] is None


def test_task_update_without_version_leaves_it_to_the_caller():
    task, referral = agency_task(meta={})
    assert read_task(task, referral)["version"] is None


@pytest.mark.parametrize("changes,path", [
    ({"resourceType": "ServiceRequest"}, "Task.resourceType"),
    ({"id": "someone-else"}, "Task.id"),
    ({"status": None}, "Task.status"),
    ({"status": "ready"}, "Task.status"),
    ({"status": "rejected", "statusReason": "full"}, "Task.statusReason"),
    ({"status": "rejected", "statusReason": {}}, "Task.statusReason"),
    ({"meta": {"versionId": "v4"}}, "Task.meta.versionId"),
    ({"meta": "4"}, "Task.meta"),
    ({"output": {"type": {}}}, "Task.output"),
    ({"output": [{"type": {"coding": [{"code": "enrollment-status"}]},
                  "valueCodeableConcept": {"text": "maybe"}}]}, "Task.output[0].value"),
])
def test_task_update_refuses_malformed_tasks_naming_the_path(changes, path):
    task, referral = agency_task(**changes)
    if changes.get("status") is None and "status" in changes:
        del task["status"]
    with pytest.raises(BadParameter) as caught:
        read_task(task, referral)
    assert caught.value.field == path


def test_task_update_refuses_what_is_not_an_object():
    with pytest.raises(BadParameter) as caught:
        read_task(["Task"], make()[0])
    assert caught.value.field == "Task"


def test_all_statuses_parse():
    for status in STATUSES:
        task, referral = agency_task(status=status)
        assert read_task(task, referral)["status"] == status
