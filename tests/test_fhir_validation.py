"""Every FHIR resource resdir emits is valid FHIR R4, checked by fhir.resources 6.4 (the
last R4 release) in its own environment, and carries what the SDOHCC profiles require.

Why a second virtualenv: fhir.resources 6.4 needs pydantic 1, the app's test tools need
pydantic 2, so `make test` builds `.venv-fhir` from tests/fhir-validator-requirements.txt and
this test runs tests/fhir_validate.py there over the resources, as JSON on standard input.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from fhir_support import issue

ROOT = Path(__file__).resolve().parent.parent
VALIDATOR = ROOT / ".venv-fhir" / "bin" / "python"
IG = ROOT.parent.parent / "shared" / "external" / "fhir-sdoh-clinicalcare"
if not (IG / "examples-2.3.0").is_dir():
    IG = Path(__file__).resolve().parents[2] / "shared" / "external" / "fhir-sdoh-clinicalcare"


def validate(resources: list[dict]) -> list[str]:
    assert VALIDATOR.exists(), "run `make .venv-fhir/.installed` (make test builds it)"
    done = subprocess.run([str(VALIDATOR), str(ROOT / "tests" / "fhir_validate.py")],
                          input=json.dumps(resources), capture_output=True, text=True,
                          timeout=300, check=True)
    return [e for e in json.loads(done.stdout) if e]


def test_the_validator_refuses_what_is_not_r4():
    # (It checks structure, types and cardinality, not code bindings: those are checked
    # against the IG's code lists in test_fhir.py.)
    bad = [{"resourceType": "Task", "status": "accepted"},  # intent is required
           {"resourceType": "Patient", "birthDate": "1 May 1990"},
           {"resourceType": "Task", "status": "accepted", "intent": "order", "colour": "red"}]
    assert len(validate(bad)) == 3
    assert validate([{"resourceType": "Task", "status": "accepted", "intent": "order"}]) == []


def _walk(fhir, people, referral) -> list[dict]:
    """Every kind of answer an agency's and a coordinator's FHIR clients meet."""
    rid = referral["id"]
    found = [fhir("GET", "/fhir/metadata", who=None).get_json()]
    found.append(fhir("GET", f"/api/v1/referrals/{rid}/fhir", who="coord_a").get_json())
    found.append(fhir("GET", f"/api/v1/referrals/{rid}/fhir").get_json())
    task = fhir("GET", f"/fhir/Task/{rid}").get_json()
    found.append(task)
    found.append(issue_body := fhir("GET", f"/fhir/Task/{rid}", who=None).get_json())
    assert issue_body["resourceType"] == "OperationOutcome"
    task = fhir("PUT", f"/fhir/Task/{rid}", json=dict(task, status="accepted")).get_json()
    refused = fhir("PUT", f"/fhir/Task/{rid}", json=dict(task, priority="stat"))
    issue(refused)
    found.append(refused.get_json())
    task = fhir("PUT", f"/fhir/Task/{rid}", json=dict(
        task, status="on-hold", statusReason={"text": "Waiting for documents"},
        note=[{"text": "Called twice"}], businessStatus={"text": "Paperwork"})).get_json()
    found.append(task)
    task = fhir("PUT", f"/fhir/Task/{rid}", json=dict(task, status="in-progress")).get_json()
    procedure = fhir("POST", "/fhir/Procedure", json={
        "resourceType": "Procedure", "status": "completed", "basedOn": [task["focus"]],
        "subject": task["for"], "performedDateTime": "2026-12-01",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "467771000124109"}]}})
    assert procedure.status_code == 201, procedure.get_json()
    found.append(procedure.get_json())
    done = fhir("PUT", f"/fhir/Task/{rid}", json=dict(task, status="completed", output=[
        {"type": {"coding": [{"system": "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/"
                              "SDOHCC-CodeSystemTemporaryCodes", "code": "resulting-activity"}]},
         "valueReference": {"reference": f"Procedure/{procedure.get_json()['id']}"}}]))
    found.append(done.get_json())
    sr = fhir("GET", f"/fhir/ServiceRequest/{rid}").get_json()
    found.append(sr)
    for path in (task["for"]["reference"], sr["supportingInfo"][0]["reference"],
                 task["owner"]["reference"], f"Procedure/{procedure.get_json()['id']}"):
        for who in ("agency_a", "coord_a"):
            response = fhir("GET", f"/fhir/{path}", who=who)
            assert response.status_code == 200, (path, who)
            found.append(response.get_json())
    found.append(fhir("GET", f"/fhir/Task?owner=Organization/{people.pantry_org}&_count=1")
                 .get_json())
    found.append(fhir("GET", f"/api/v1/referrals/{rid}/fhir", who="coord_a").get_json())
    found.append(fhir("GET", f"/api/v1/referrals/{rid}/fhir").get_json())
    return found


def test_every_resource_resdir_emits_is_valid_r4(fhir, people, referral):
    emitted = _walk(fhir, people, referral)
    kinds = {r["resourceType"] for r in emitted} | {
        e["resource"]["resourceType"] for r in emitted if r["resourceType"] == "Bundle"
        for e in r.get("entry", [])}
    assert kinds >= {"CapabilityStatement", "Bundle", "Task", "ServiceRequest", "Patient",
                     "Consent", "Procedure", "Organization", "PractitionerRole",
                     "Observation", "OperationOutcome"}
    assert validate(emitted) == []


# --- SDOHCC profiles: required and must-support elements ---------------------------------

PROFILES = IG / "profiles-2.0.0-update"
EXAMPLES = IG / "examples-2.3.0"


def _top_elements(profile: str) -> dict[str, dict]:
    """Top-level elements of a profile's snapshot (no slices): name -> element."""
    definition = json.loads((PROFILES / f"StructureDefinition-{profile}.json").read_text())
    kind = definition["type"]
    out = {}
    for element in definition["snapshot"]["element"]:
        path = element["path"]
        if ":" in element.get("id", "") or path.count(".") != 1 or not path.startswith(kind):
            continue
        out[path.split(".", 1)[1].replace("[x]", "")] = element
    return out


def _has(resource: dict, name: str) -> bool:
    return any(key == name or (key.startswith(name) and key[len(name):][:1].isupper())
               for key in resource)


@pytest.mark.parametrize("profile,kind,example", [
    ("SDOHCC-ServiceRequest", "ServiceRequest",
     "ServiceRequest-SDOHCC-ServiceRequestActiveFoodPantryApplicationAssistExample.json"),
    ("SDOHCC-TaskForReferralManagement", "Task",
     "Task-SDOHCC-TaskReferralManagementOrderFulfillmentCompletedExample.json"),
    ("SDOHCC-Consent", "Consent", "Consent-SDOHCC-ConsentInformationDisclosureExample.json"),
])
def test_sdohcc_required_and_must_support_elements(fhir, people, referral, profile, kind,
                                                   example):
    """Every element the profile requires (min >= 1) is there; every must-support element
    the IG's example fills, resdir fills too, for the agency and the referrer alike."""
    emitted = _walk(fhir, people, referral)
    bundles = [r for r in emitted if r["resourceType"] == "Bundle"
               and r["type"] == "collection"][-2:]  # the completed referral, both readers
    sample = json.loads((EXAMPLES / example).read_text())
    elements = _top_elements(profile)
    assert elements, profile
    for bundle in bundles:
        (ours,) = [e["resource"] for e in bundle["entry"]
                   if e["resource"]["resourceType"] == kind]
        for name, element in elements.items():
            if element.get("min", 0) >= 1:
                assert _has(ours, name), f"{kind}.{name} is required by {profile}"
            if element.get("mustSupport") and _has(sample, name) and name != "reasonReference":
                assert _has(ours, name), f"{kind}.{name}: must-support, in the IG example"
        assert ours["meta"]["profile"] == sample["meta"]["profile"]
