"""A referral as FHIR R4 resources (HL7 SDOH Clinical Care IG 2.3.0), and agency Task updates.

Modelled on the IG's food-pantry examples (ServiceRequest, TaskReferralManagement accepted and
completed, Procedure, Consent, Organization). Choices where resdir differs from them:

- fullUrls are RESTful, `{base_url}/fhir/<Type>/<id>`, and references are relative
  (`Patient/<id>`), as in the IG examples; FHIR resolves a relative reference in a bundle
  against the base of the entry's fullUrl. The Task lives at the URL agencies `PUT` to, and
  Task and ServiceRequest share the referral's id (ids are per resource type).
- The Patient is the minimum necessary: id, name, gender, birth date, ZIP and state; nothing
  at all but the id until the client's consent is given. It does not claim US Core Patient,
  which would require an identifier.
- "Do not contact" is `ServiceRequest.orderDetail` = SDOHCC `contacting-subject-prohibited`
  (the profile's `SubjectContactDetail` slice); no client telecom is ever sent.
- `ServiceRequest.code` and `Procedure.code` are bound (required) to US Core procedure codes;
  resdir knows no program-level code, so both carry SNOMED 410606002 "Social service
  procedure" (the IG's category code) and the program name as text.
- A completed Task mirrors the completed example: `output` type `resulting-activity` ->
  a Procedure (in the bundle; what was provided is its code text, its outcome is the
  enrollment), plus a second output typed `enrollment-status` carrying the enrollment as a
  CodeableConcept, so that a Task alone (as agencies `PUT` it) says the whole outcome.
"""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from typing import Any

from resdir.errors import BadParameter
from resdir.matching.needs import load_needs
from resdir.referrals.states import ENROLLMENT, NEEDS_REASON, REASONS, STATUSES

SDOHCC = "http://hl7.org/fhir/us/sdoh-clinicalcare"
SERVICE_REQUEST_PROFILE = f"{SDOHCC}/StructureDefinition/SDOHCC-ServiceRequest"
TASK_PROFILE = f"{SDOHCC}/StructureDefinition/SDOHCC-TaskForReferralManagement"
PROCEDURE_PROFILE = f"{SDOHCC}/StructureDefinition/SDOHCC-Procedure"
CONSENT_PROFILE = f"{SDOHCC}/StructureDefinition/SDOHCC-Consent"
US_CORE_ORGANIZATION = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-organization"
TEMPORARY_CODES = f"{SDOHCC}/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
SOCIAL_SERVICE = {"system": "http://snomed.info/sct", "code": "410606002",
                  "display": "Social service procedure"}
FULFILL = {"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill",
           "display": "Fulfill the focal request"}
RESULTING_ACTIVITY = {"system": TEMPORARY_CODES, "code": "resulting-activity",
                      "display": "Resulting Activity"}
CONTACT_PROHIBITED = {"system": TEMPORARY_CODES, "code": "contacting-subject-prohibited",
                      "display": "Contacting Subject Prohibited"}
# resdir's own codes (status reasons, enrollment), under the server's base URL.
RESDIR_CODES = "/fhir/CodeSystem/resdir-referral"
ENROLLMENT_STATUS = "enrollment-status"

SERVICE_REQUEST_STATUS = {
    "draft": "draft", "requested": "active", "accepted": "active", "in-progress": "active",
    "on-hold": "active", "completed": "completed", "rejected": "revoked",
    "cancelled": "revoked", "failed": "revoked", "entered-in-error": "entered-in-error",
}
GENDER = {"female": "female", "male": "male", "nonbinary": "other", "other": "other"}


def _when(value: datetime | None) -> str | None:
    """FHIR dateTime/instant: a time zone is required; stored naive times are UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _ref(kind: str, id_: str, display: str | None = None) -> dict:
    return {"reference": f"{kind}/{id_}", **({"display": display} if display else {})}


def _prune(resource: dict) -> dict:
    """FHIR has no nulls and no empty arrays."""
    return {k: v for k, v in resource.items() if v is not None and v != [] and v != {}}


def _birth_date(value: Any) -> str | None:
    try:
        return date.fromisoformat(value).isoformat() if isinstance(value, str) else None
    except ValueError:
        return None


def _patient(client, shared: bool) -> dict:
    facts = (client.facts or {}) if shared else {}
    address = _prune({"postalCode": facts.get("zip"), "state": facts.get("state")})
    return _prune({
        "resourceType": "Patient", "id": client.id,
        "name": [{"text": client.name}] if shared and client.name else None,
        "gender": GENDER.get(facts.get("gender")),
        "birthDate": _birth_date(facts.get("birth_date")),
        "address": [address] if address else None,
    })


def _organization(org, with_telecom: bool) -> dict:
    telecom = [{"system": system, "value": value, "use": "work"} for system, value in
               (("email", getattr(org, "email", None)), ("url", getattr(org, "website", None)))
               if with_telecom and value]
    return _prune({"resourceType": "Organization", "id": org.id,
                   "meta": {"profile": [US_CORE_ORGANIZATION]}, "active": True,
                   "name": org.name, "telecom": telecom})


def _consent(consent, referral, care_org, agency_org) -> dict:
    method = consent.method or "unrecorded"
    who = "the client" if consent.given_by == "client" else f"the client's {consent.given_by}"
    statement = (f"{method.capitalize()} consent {'given' if consent.given else 'not given'} "
                 f"by {who} to share information with {agency_org.name} for this referral. "
                 f"What may be shared: {consent.scope or 'not stated'}.")
    policy = {"text": statement}
    if method == "written":  # as the example; a spoken or clicked consent is no HIPAA form
        policy["coding"] = [{"system": "http://terminology.hl7.org/CodeSystem/consentpolicycodes",
                             "code": "hipaa-auth", "display": "HIPAA Authorization"}]
    performer = (_ref("Patient", referral.client_id) if consent.given_by == "client"
                 else {"display": f"Client's {consent.given_by}"})
    return _prune({
        "resourceType": "Consent", "id": consent.id, "meta": {"profile": [CONSENT_PROFILE]},
        "status": "active" if consent.given else "proposed",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                              "code": "patient-privacy", "display": "Privacy Consent"}]},
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                  "code": "IDSCL", "display": "information disclosure"}]}],
        "patient": _ref("Patient", referral.client_id),
        "dateTime": _when(consent.recorded_at),
        "performer": [performer],
        "organization": [_ref("Organization", care_org.id, care_org.name)],
        # The example embeds the signed PDF; resdir records the consent as words.
        "sourceAttachment": {"contentType": "text/plain; charset=utf-8", "language": "en",
                             "title": f"{method.capitalize()} consent",
                             "data": base64.b64encode(statement.encode()).decode("ascii")},
        "policyRule": policy,
        # Not in the example: says who may receive the information (the agency).
        "provision": {"type": "permit", "actor": [{
            "role": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                "code": "IRCP", "display": "information recipient"}]},
            "reference": _ref("Organization", agency_org.id, agency_org.name)}]},
    })


def bundle(referral, client, service, care_org, agency_org, requester_user,
           base_url: str) -> dict:
    """The referral as a FHIR R4 Bundle of SDOHCC resources, for an agency or an EHR.

    Type `collection`: a set of resources to read, not a `transaction` the receiver should
    apply, a `document` (needs a Composition) or a `message` (needs a MessageHeader).
    """
    base = base_url.rstrip("/")
    consent = referral.consent
    shared = bool(consent and consent.given)
    need = load_needs().get(referral.need_code)
    category = ({"system": TEMPORARY_CODES, "code": need.code, "display": need.display} if need
                else {"system": TEMPORARY_CODES, "code": "sdoh-category-unspecified",
                      "display": "SDOH Category Unspecified"})
    program = f"{service.name} ({need.display if need else referral.need_code})"
    authored = _when(referral.requested_at or referral.created_at)
    priority = referral.priority or "routine"
    patient = _ref("Patient", client.id)
    agency = _ref("Organization", agency_org.id, agency_org.name)
    entries = [_patient(client, shared), _organization(care_org, False),
               _organization(agency_org, True)]
    if requester_user is not None:  # as the example: a PractitionerRole asks
        requester = _ref("PractitionerRole", requester_user.id,
                         f"{requester_user.name}, {care_org.name}")
        entries.append(_prune({
            "resourceType": "PractitionerRole", "id": requester_user.id,
            "active": bool(requester_user.active),
            "practitioner": {"display": requester_user.name},
            "organization": _ref("Organization", care_org.id, care_org.name),
            "telecom": [{"system": "email", "value": requester_user.email, "use": "work"}],
        }))
    else:
        requester = _ref("Organization", care_org.id, care_org.name)
    if referral.contact_preference == "do-not-contact":
        order_detail = {"coding": [CONTACT_PROHIBITED],
                        "text": "The client asked not to be contacted by the agency."}
    else:
        order_detail = {"text": f"Contact preference: {referral.contact_preference or 'phone'}"}
    entries.append(_prune({
        "resourceType": "ServiceRequest", "id": referral.id,
        "meta": {"profile": [SERVICE_REQUEST_PROFILE]},
        "status": SERVICE_REQUEST_STATUS.get(referral.status or "draft", "unknown"),
        "intent": "order",
        "category": [{"coding": [SOCIAL_SERVICE]}, {"coding": [category]}],
        "priority": priority,
        "code": {"coding": [SOCIAL_SERVICE], "text": program},
        "orderDetail": [order_detail],
        "subject": patient, "authoredOn": authored, "requester": requester,
        "performer": [agency],
        "supportingInfo": [_ref("Consent", consent.id)] if consent else None,
        "note": [{"text": referral.note}] if referral.note else None,
    }))
    status = referral.status or "draft"
    reason = None
    if status in NEEDS_REASON and referral.status_reason in REASONS:
        text = REASONS[referral.status_reason]
        reason = {"coding": [{"system": base + RESDIR_CODES, "code": referral.status_reason,
                              "display": text}],
                  "text": f"{text}: {referral.reason_text}" if referral.reason_text else text}
    output = None
    if status == "completed" and referral.outcome_enrollment in ENROLLMENT:
        enrolled = ENROLLMENT[referral.outcome_enrollment]
        provided = referral.outcome_provided
        output = [
            {"type": {"coding": [RESULTING_ACTIVITY]},
             "valueReference": _ref("Procedure", referral.id, provided)},
            {"type": {"coding": [{"system": base + RESDIR_CODES, "code": ENROLLMENT_STATUS,
                                  "display": "Enrollment status"}]},
             "valueCodeableConcept": {"coding": [{"system": base + RESDIR_CODES,
                                                  "code": referral.outcome_enrollment,
                                                  "display": enrolled}], "text": enrolled}},
        ]
        entries.append(_prune({
            "resourceType": "Procedure", "id": referral.id,
            "meta": {"profile": [PROCEDURE_PROFILE]},
            "basedOn": [_ref("ServiceRequest", referral.id)], "status": "completed",
            "category": {"coding": [SOCIAL_SERVICE, category]},
            "code": {"coding": [SOCIAL_SERVICE], "text": provided or program}, "subject": patient,
            "performedDateTime": _when(referral.closed_at or referral.updated_at),
            "outcome": dict(output[1]["valueCodeableConcept"]),
        }))
    entries.append(_prune({
        "resourceType": "Task", "id": referral.id,
        "meta": {"versionId": str(referral.version or 1),
                 "lastUpdated": _when(referral.updated_at), "profile": [TASK_PROFILE]},
        "status": status, "statusReason": reason, "intent": "order", "priority": priority,
        "code": {"coding": [FULFILL]},
        "focus": _ref("ServiceRequest", referral.id), "for": patient,
        "authoredOn": authored, "lastModified": _when(referral.updated_at),
        "requester": requester, "owner": agency, "output": output,
    }))
    if consent is not None:
        entries.append(_consent(consent, referral, care_org, agency_org))
    return {
        "resourceType": "Bundle", "type": "collection",
        "timestamp": _when(datetime.now(UTC)),
        "entry": [{"fullUrl": f"{base}/fhir/{r['resourceType']}/{r['id']}", "resource": r}
                  for r in entries],
    }


def _codes(concept: Any, path: str) -> tuple[list[str], str | None]:
    """The codes and text of a CodeableConcept; BadParameter naming `path` if malformed."""
    if not isinstance(concept, dict):
        raise BadParameter(f"{path} must be a CodeableConcept object.", path)
    coding = concept.get("coding", [])
    if not isinstance(coding, list) or not all(isinstance(c, dict) for c in coding):
        raise BadParameter(f"{path}.coding must be a list of Coding objects.", f"{path}.coding")
    text = concept.get("text")
    if text is not None and not isinstance(text, str):
        raise BadParameter(f"{path}.text must be a string.", f"{path}.text")
    codes = [c["code"] for c in coding if isinstance(c.get("code"), str)]
    return codes, (text or "").strip() or None


def _pick(codes: list[str], text: str | None, vocabulary: dict[str, str]) -> str | None:
    """Our code among the codings, else the code whose key or label the text is."""
    found = [c for c in codes if c in vocabulary]
    words = (text or "").lower()
    return (found or [c for c, label in vocabulary.items() if words in (c, label.lower())]
            or [None])[0]


def _reason(concept: Any) -> tuple[str, str | None]:
    codes, text = _codes(concept, "Task.statusReason")
    code = _pick(codes, text, REASONS)
    if code is None:  # words or codes of the agency's own: kept as "other"
        if not (text or codes):
            raise BadParameter("Task.statusReason needs a coding or a text.",
                               "Task.statusReason")
        return "other", text or codes[0]
    words, label = text or "", REASONS[code]
    if words.lower() == code:
        words = ""
    elif words.lower().startswith(label.lower()):  # our own "Label: words" echoed back
        words = words[len(label):].lstrip(" :-\u2013\u2014")
    return code, words or None


def _outcome(outputs: Any) -> dict | None:
    if outputs is None:
        return None
    if not isinstance(outputs, list):
        raise BadParameter("Task.output must be a list.", "Task.output")
    enrollment = provided = None
    for i, out in enumerate(outputs):
        path = f"Task.output[{i}]"
        if not isinstance(out, dict):
            raise BadParameter(f"{path} must be an object.", path)
        types, type_text = _codes(out.get("type"), f"{path}.type")
        if ENROLLMENT_STATUS in types or "enrollment" in (type_text or "").lower():
            if isinstance(out.get("valueCode"), str):
                codes, text = [out["valueCode"]], None
            else:
                codes, text = _codes(out.get("valueCodeableConcept"),
                                     f"{path}.valueCodeableConcept")
            enrollment = _pick(codes, text, ENROLLMENT)
            if enrollment is None:
                raise BadParameter(f"{path} enrollment must be one of: "
                                   + ", ".join(ENROLLMENT) + ".", f"{path}.value")
        elif "resulting-activity" in types:
            value = out.get("valueReference") or out.get("valueCodeableConcept") or {}
            words = (value.get("display") or value.get("text")) if isinstance(value, dict) else None
            provided = words.strip() if isinstance(words, str) and words.strip() else provided
    if enrollment is None and provided is None:
        return None
    return {"enrollment": enrollment, "provided": provided}


def task_update(resource: dict, referral) -> dict:
    """Read a referral Task an agency `PUT`s: {status, reason, reason_text, outcome, version}.

    Only parses; the state machine (resdir.referrals.states.check) judges the change.
    `version` is `meta.versionId` as an int, None when absent (the caller may use If-Match).
    """
    if not isinstance(resource, dict):
        raise BadParameter("Send a FHIR Task as a JSON object.", "Task")
    if resource.get("resourceType") != "Task":
        raise BadParameter(f"resourceType must be Task, not {resource.get('resourceType')!r}.",
                           "Task.resourceType")
    if resource.get("id") != referral.id:
        raise BadParameter("Task.id must be present and match the id in the URL.", "Task.id")
    status = resource.get("status")
    if not isinstance(status, str) or not status:
        raise BadParameter("Task.status is required.", "Task.status")
    if status not in STATUSES:
        raise BadParameter(f"Task.status {status!r} is not a referral task status; use one of: "
                           + ", ".join(STATUSES) + ".", "Task.status")
    reason = reason_text = None
    if resource.get("statusReason") is not None:
        reason, reason_text = _reason(resource["statusReason"])
    meta = resource.get("meta", {})
    if not isinstance(meta, dict):
        raise BadParameter("Task.meta must be an object.", "Task.meta")
    version = meta.get("versionId")
    if version is not None:
        if not isinstance(version, str) or not version.isdigit():
            raise BadParameter("Task.meta.versionId must be the referral version, like \"3\".",
                               "Task.meta.versionId")
        version = int(version)
    return {"status": status, "reason": reason, "reason_text": reason_text,
            "outcome": _outcome(resource.get("output")), "version": version}
