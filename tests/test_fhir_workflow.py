"""An agency's FHIR client works a referral with only /fhir/* calls, Procedures close the
loop as the IG's completed Task does, and every move of the state machine through PUT."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fhir_support import FHIR_JSON, issue, timeline

from resdir.referrals import states

IG = Path(__file__).resolve().parents[2] / "shared" / "external" / "fhir-sdoh-clinicalcare"
COMPLETED = "Task-SDOHCC-TaskReferralManagementOrderFulfillmentCompletedExample.json"


def _put(fhir, task, who="agency_a", **changes):
    return fhir("PUT", f"/fhir/Task/{task['id']}", who=who, json={**task, **changes})


def _procedure(task, text="Food pantry application assistance"):
    return {"resourceType": "Procedure", "status": "completed",
            "basedOn": [task["focus"]], "subject": task["for"],
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "467771000124109",
                                 "display": "Assistance with application for food pantry "
                                            "program"}], "text": text},
            "performedDateTime": "2026-12-01"}


def test_an_agency_fhir_client_closes_the_loop(app, fhir, people, referral):
    # 1. What the server does.
    cap = fhir("GET", "/fhir/metadata", who=None).get_json()
    assert cap["fhirVersion"] == "4.0.1"
    # 2. Poll for Tasks it owns changed since a moment before the referral.
    owner = f"Organization/{people.pantry_org}"
    polled = fhir("GET", f"/fhir/Task?owner={owner}&_lastUpdated=gt2020-01-01T00:00:00Z")
    assert polled.mimetype == FHIR_JSON
    (entry,) = polled.get_json()["entry"]
    # 3. Read the Task; accept, then start (each PUT the whole Task as just read).
    task = fhir("GET", "/fhir/" + entry["resource"]["resourceType"] + "/"
                + entry["resource"]["id"]).get_json()
    task = _put(fhir, task, status="accepted").get_json()
    task = _put(fhir, task, status="in-progress").get_json()
    assert task["status"] == "in-progress"
    # 4. Record what was done.
    posted = fhir("POST", "/fhir/Procedure", json=_procedure(task))
    assert posted.status_code == 201, posted.get_json()
    procedure = posted.get_json()
    assert posted.headers["Location"].endswith(f"/fhir/Procedure/{procedure['id']}")
    assert fhir("GET", f"/fhir/Procedure/{procedure['id']}").get_json()["code"]["text"] == (
        "Food pantry application assistance")
    # 5. Complete, exactly as the IG's completed Task: output resulting-activity -> it.
    example = json.loads((IG / "examples-2.3.0" / COMPLETED).read_text(encoding="utf-8"))
    output = [dict(example["output"][0],
                   valueReference={"reference": f"Procedure/{procedure['id']}"})]
    done = _put(fhir, task, status="completed", output=output)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["output"] == output
    # 6. The coordinator sees it closed, with what was provided.
    seen = fhir.client.get(f"/api/v1/referrals/{task['id']}",
                           headers=people.bearer("coord_a")).get_json()
    assert seen["status"] == "completed" and seen["closed_at"]
    assert seen["outcome"]["provided"] == "Food pantry application assistance"
    assert [e["to"] for e in seen["timeline"] if e["to"]] == [
        "draft", "requested", "accepted", "in-progress", "completed"]
    page = fhir.client.get(f"/referrals/{task['id']}")  # no session: the page wants sign-in
    assert page.status_code in (302, 401)


def test_resdirs_own_enrollment_outcome_still_completes(fhir, referral):
    task = fhir("GET", f"/fhir/Task/{referral['id']}").get_json()
    task = _put(fhir, task, status="accepted").get_json()
    enrollment = [{"type": {"text": "Enrollment status"},
                   "valueCodeableConcept": {"text": "Enrolled"}}]
    done = _put(fhir, task, status="completed", output=enrollment).get_json()
    assert done["status"] == "completed"
    kinds = [o["type"]["coding"][0]["code"] for o in done["output"]]
    assert kinds == ["resulting-activity", "enrollment-status"]


def test_procedures_belong_to_the_owning_agencys_referral(app, fhir, people, referral):
    task = fhir("GET", f"/fhir/Task/{referral['id']}").get_json()
    early = fhir("POST", "/fhir/Procedure", json=_procedure(task))
    assert early.status_code == 422 and "requested" in issue(early)["diagnostics"]
    task = _put(fhir, task, status="accepted").get_json()
    for who, body, element in (
            ("agency_a", {**_procedure(task), "subject": {"reference": "Patient/other"}},
             "Procedure.subject"),
            ("agency_b", _procedure(task), "Procedure.basedOn[0]"),
            ("coord_a", _procedure(task), "Procedure.basedOn[0]"),
            ("agency_a", {**_procedure(task), "basedOn": []}, "Procedure.basedOn"),
            ("agency_a", {**_procedure(task), "colour": "red"}, "Procedure.colour"),
            ("agency_a", {**_procedure(task), "code": {}}, "Procedure.code")):
        response = fhir("POST", "/fhir/Procedure", who=who, json=body)
        assert response.status_code in (400, 422), (who, element)
        assert issue(response)["expression"] == [element]
    unknown = [{"type": {"coding": [{"code": "resulting-activity"}]},
                "valueReference": {"reference": "Procedure/not-ours"}}]
    refused = _put(fhir, task, status="completed", output=unknown)
    assert refused.status_code == 422 and "not-ours" in issue(refused)["diagnostics"]
    bare = _put(fhir, task, status="completed")
    found = issue(bare)
    assert bare.status_code == 422 and found["expression"] == ["Task.output"]
    assert "Completing needs Task.output" in found["diagnostics"]


def _set_status(app, referral_id: str, status: str) -> None:
    from resdir.extensions import db
    from resdir.referrals.models import Referral

    with app.app_context():
        row = db.session.get(Referral, referral_id)
        row.status, row.status_reason, row.reason_text = status, None, None
        row.outcome_enrollment = row.outcome_provided = row.closed_at = None
        db.session.commit()


REASON = {"coding": [{"code": "no-capacity"}], "text": "No capacity"}
ENROLLED = [{"type": {"text": "Enrollment status"}, "valueCodeableConcept": {"text": "Enrolled"}}]
SIDES = {"coord_a": states.REFERRER, "agency_a": states.AGENCY}


@pytest.mark.parametrize("current", states.STATUSES)
def test_every_transition_through_put(app, fhir, referral, current):
    """Each (status, next status, side): allowed -> 200 and on the timeline; refused -> the
    OperationOutcome says why, naming Task.status (or Task.statusReason / Task.output)."""
    for new in states.STATUSES:
        for who, side in SIDES.items():
            _set_status(app, referral["id"], current)
            read = fhir("GET", f"/fhir/Task/{referral['id']}", who=who)
            if current == "draft" and side == states.AGENCY:
                assert read.status_code == 404  # a draft was never sent to the agency
                continue
            task = read.get_json()
            before = timeline(app, referral["id"])
            extra = {}
            if new != current and new in states.NEEDS_REASON:
                extra["statusReason"] = REASON
            if new != current and new == "completed":
                extra["output"] = ENROLLED
            response = _put(fhir, task, who=who, status=new, **extra)
            allowed = states.TRANSITIONS.get(current, {}).get(new, ())
            label = (current, new, who)
            if new == current:
                assert response.status_code == 200, label  # idempotent: nothing new
                assert timeline(app, referral["id"]) == before, label
            elif side in allowed:
                assert response.status_code == 200, (label, response.get_json())
                assert response.get_json()["status"] == new
                assert timeline(app, referral["id"])[-1][:2] == (current, new), label
            else:
                found = issue(response)
                assert found["expression"] == ["Task.status"], label
                if allowed:  # the other side's move
                    assert response.status_code == 403, label
                    assert f"may mark a referral {new}" in found["diagnostics"], label
                else:
                    assert response.status_code == 422, label
                    article = "An" if current[0] in "aeio" else "A"
                    assert f"{article} {current} referral cannot become {new}." in (
                        found["diagnostics"]), label
                assert timeline(app, referral["id"]) == before, label
            # What each move needs: a reason, or an output to complete.
            if side in allowed and (new in states.NEEDS_REASON or new == "completed"):
                _set_status(app, referral["id"], current)
                task = fhir("GET", f"/fhir/Task/{referral['id']}", who=who).get_json()
                bare = _put(fhir, task, who=who, status=new)
                found = issue(bare)
                assert bare.status_code == 422, label
                assert found["expression"] == (["Task.output"] if new == "completed"
                                               else ["Task.statusReason"]), label
