"""A referral as FHIR R4 resources (HL7 SDOH Clinical Care IG 2.3.0).

Modelled on the IG's food-pantry examples (ServiceRequest, TaskReferralManagement accepted
and completed, Procedure, Consent, Organization). Choices where resdir differs from them:

- The Task lives at the URL agencies `PUT` to; Task and ServiceRequest share the referral's
  id (ids are per resource type). References are relative (`Patient/<id>`), as in the IG.
- The Consent (consent.py) is the IG's example in words, not a signed PDF.
- "Do not contact" is `ServiceRequest.orderDetail` = SDOHCC `contacting-subject-prohibited`;
  no client telecom is ever sent.
- `ServiceRequest.code`: the need's specific SNOMED procedure where resdir's crosswalk has
  one (codes.PROCEDURE_CODES), else SNOMED 410606002 "Social service procedure" (the IG's
  category code); the program name is the text.
- `reasonReference`: the screening answers that made the need positive, as SDOHCC
  screening-response Observations (Task.reasonReference: the first). Only the referring
  side receives them: an agency already knows the need from the category, and the answers
  behind it (an abuse screening's, say) are more than it needs.
- A completed Task mirrors the completed example: `output` `resulting-activity` -> each
  Procedure the agency posted; when resdir's own enrollment outcome was used, a Procedure
  with the referral's id stands for it and a second output typed `enrollment-status`
  carries the enrollment.
"""

from __future__ import annotations

from datetime import UTC, datetime

from resdir.interop.fhir import codes
from resdir.interop.fhir.common import (
    CONTACT_PROHIBITED,
    ENROLLMENT_STATUS,
    FULFILL,
    LOINC,
    PROCEDURE_PROFILE,
    RESULTING_ACTIVITY,
    SCREENING_RESPONSE_PROFILE,
    SERVICE_REQUEST_PROFILE,
    SOCIAL_SERVICE,
    TASK_PROFILE,
    TEMPORARY_CODES,
    US_CORE_ORGANIZATION,
    codes_url,
    instant,
    prune,
    ref,
    when,
)
from resdir.interop.fhir.consent import consent_resource
from resdir.interop.fhir.patient import CARE, patient
from resdir.matching.needs import load_needs
from resdir.referrals.sharing import contact_shared
from resdir.referrals.states import ENROLLMENT, NEEDS_REASON, REASONS

SERVICE_REQUEST_STATUS = {
    "draft": "draft", "requested": "active", "accepted": "active", "in-progress": "active",
    "on-hold": "active", "completed": "completed", "rejected": "revoked",
    "cancelled": "revoked", "failed": "revoked", "entered-in-error": "entered-in-error",
}


def category(need_code: str) -> dict:
    need = load_needs().get(need_code)
    if need is None:
        return {"system": TEMPORARY_CODES, "code": "sdoh-category-unspecified",
                "display": "SDOH Category Unspecified"}
    return {"system": TEMPORARY_CODES, "code": need.code, "display": need.display}


def program_text(ctx) -> str:
    need = load_needs().get(ctx.referral.need_code)
    return f"{ctx.service.name} ({need.display if need else ctx.referral.need_code})"


def requester(ctx) -> dict:
    if ctx.requester is not None:  # as the example: a PractitionerRole asks
        return ref("PractitionerRole", ctx.requester.id,
                   f"{ctx.requester.name}, {ctx.care_org.name}")
    return ref("Organization", ctx.care_org.id, ctx.care_org.name)


def organization(org, with_telecom: bool) -> dict:
    telecom = [{"system": system, "value": value, "use": "work"} for system, value in
               (("email", getattr(org, "email", None)), ("url", getattr(org, "website", None)))
               if with_telecom and value]
    return prune({"resourceType": "Organization", "id": org.id,
                  "meta": {"profile": [US_CORE_ORGANIZATION]}, "active": True,
                  "name": org.name, "telecom": telecom})


def practitioner_role(ctx) -> dict:
    user = ctx.requester
    return prune({
        "resourceType": "PractitionerRole", "id": user.id, "active": bool(user.active),
        "practitioner": {"display": user.name},
        "organization": ref("Organization", ctx.care_org.id, ctx.care_org.name),
        "telecom": [{"system": "email", "value": user.email, "use": "work"}],
    })


def _observation_id(screening_id: str, question: str) -> str:
    return f"{screening_id}-{question.replace('_', '-')}"


def screening_observations(ctx) -> list[dict]:
    """The answers of ctx.screening that made the referral's need positive."""
    screening = ctx.screening
    if screening is None:
        return []
    found = []
    for domain in (screening.result or {}).get("needs") or []:
        if domain.get("code") != ctx.referral.need_code:
            continue
        for answer in domain.get("answers") or []:
            question = answer.get("question")
            if question not in codes.AHC_LOINC:
                continue
            loinc, display = codes.AHC_LOINC[question]
            found.append(prune({
                "resourceType": "Observation", "id": _observation_id(screening.id, question),
                "meta": {"profile": [SCREENING_RESPONSE_PROFILE]}, "status": "final",
                "category": [
                    {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                 "observation-category", "code": "social-history",
                                 "display": "Social History"}]},
                    {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                 "observation-category", "code": "survey",
                                 "display": "Survey"}]},
                    {"coding": [category(ctx.referral.need_code)]}],
                "code": {"coding": [{"system": LOINC, "code": loinc, "display": display}]},
                "subject": ref("Patient", ctx.client.id),
                "effectiveDateTime": when(screening.screened_at),
                "valueCodeableConcept": {"text": str(answer.get("text") or answer.get("value"))},
            }))
    return found


def reason_references(ctx) -> list[dict]:
    """Only for the referring side: an agency learns the need from the category, and the
    answers behind it are more than it needs."""
    if ctx.reader != CARE:
        return []
    return [ref("Observation", o["id"]) for o in screening_observations(ctx)]


def service_request(ctx) -> dict:
    referral, consent = ctx.referral, ctx.referral.consent
    if referral.contact_preference == "do-not-contact":
        detail = {"coding": [CONTACT_PROHIBITED],
                  "text": "The client asked not to be contacted by the agency."}
    else:
        detail = {"text": f"Contact preference: {referral.contact_preference or 'phone'}"}
    specific = codes.PROCEDURE_CODES.get(referral.need_code)
    return prune({
        "resourceType": "ServiceRequest", "id": referral.id,
        "meta": {"versionId": str(referral.version or 1),
                 "lastUpdated": instant(referral.updated_at),
                 "profile": [SERVICE_REQUEST_PROFILE]},
        "status": SERVICE_REQUEST_STATUS.get(referral.status or "draft", "unknown"),
        "intent": "order",
        "category": [{"coding": [SOCIAL_SERVICE]}, {"coding": [category(referral.need_code)]}],
        "priority": referral.priority or "routine",
        "code": {"coding": [specific or SOCIAL_SERVICE], "text": program_text(ctx)},
        "orderDetail": [detail],
        "subject": ref("Patient", ctx.client.id),
        "authoredOn": when(referral.requested_at or referral.created_at),
        "requester": requester(ctx),
        "performer": [ref("Organization", ctx.agency_org.id, ctx.agency_org.name)],
        "reasonReference": reason_references(ctx),
        "supportingInfo": [ref("Consent", consent.id)] if consent else None,
        "note": [{"text": referral.note}] if referral.note else None,
    })


def _enrollment_concept(code: str) -> dict:
    label = ENROLLMENT[code]
    return {"coding": [{"system": codes_url(), "code": code, "display": label}], "text": label}


def own_procedure(ctx) -> dict | None:
    """resdir's enrollment outcome as a Procedure (id = the referral's), when it was used."""
    referral = ctx.referral
    if referral.status != "completed" or referral.outcome_enrollment not in ENROLLMENT:
        return None
    specific = codes.PROCEDURE_CODES.get(referral.need_code)
    return prune({
        "resourceType": "Procedure", "id": referral.id,
        "meta": {"profile": [PROCEDURE_PROFILE]},
        "basedOn": [ref("ServiceRequest", referral.id)], "status": "completed",
        "category": {"coding": [SOCIAL_SERVICE, category(referral.need_code)]},
        "code": {"coding": [specific or SOCIAL_SERVICE],
                 "text": referral.outcome_provided or program_text(ctx)},
        "subject": ref("Patient", ctx.client.id),
        "performedDateTime": when(referral.closed_at or referral.updated_at),
        "reasonReference": reason_references(ctx),
        "outcome": _enrollment_concept(referral.outcome_enrollment),
    })


def procedures(ctx) -> list[dict]:
    found = [dict(p.resource, id=p.id) for p in ctx.procedures]
    own = own_procedure(ctx)
    return found + ([own] if own else [])


def task_output(ctx) -> list[dict]:
    referral = ctx.referral
    output = [{"type": {"coding": [RESULTING_ACTIVITY]},
               "valueReference": ref("Procedure", p.id)} for p in ctx.procedures
              if p.in_output]
    own = own_procedure(ctx)
    if own is not None:
        output.append({"type": {"coding": [RESULTING_ACTIVITY]},
                       "valueReference": ref("Procedure", referral.id,
                                             referral.outcome_provided)})
        output.append({"type": {"coding": [{"system": codes_url(), "code": ENROLLMENT_STATUS,
                                            "display": "Enrollment status"}]},
                       "valueCodeableConcept": _enrollment_concept(referral.outcome_enrollment)})
    return output


def status_reason(referral) -> dict | None:
    if referral.status not in NEEDS_REASON or referral.status_reason not in REASONS:
        return None  # a reason left from an earlier hold is not shown once work resumes
    text = REASONS[referral.status_reason]
    return {"coding": [{"system": codes_url(), "code": referral.status_reason,
                        "display": text}],
            "text": f"{text}: {referral.reason_text}" if referral.reason_text else text}


def task(ctx) -> dict:
    referral = ctx.referral
    return prune({
        "resourceType": "Task", "id": referral.id,
        "meta": {"versionId": str(referral.version or 1),
                 "lastUpdated": instant(referral.updated_at), "profile": [TASK_PROFILE]},
        "status": referral.status or "draft", "statusReason": status_reason(referral),
        "businessStatus": {"text": ctx.business_status} if ctx.business_status else None,
        "intent": "order", "priority": referral.priority or "routine",
        "code": {"coding": [FULFILL]},
        "focus": ref("ServiceRequest", referral.id), "for": ref("Patient", ctx.client.id),
        "authoredOn": when(referral.requested_at or referral.created_at),
        "lastModified": when(referral.updated_at),
        "requester": requester(ctx),
        "reasonReference": (reason_references(ctx) or [None])[0],
        "owner": ref("Organization", ctx.agency_org.id, ctx.agency_org.name),
        "note": [prune({"time": when(e.at), "text": e.note}) for e in ctx.notes],
        "output": task_output(ctx),
    })


def patient_of(ctx) -> dict:
    consent = ctx.referral.consent
    return patient(ctx.client, ctx.reader, ctx.consent_scopes,
                   shared=bool(consent and consent.given),
                   contact=contact_shared(ctx.referral, ctx.client))


def bundle(ctx, base: str) -> dict:
    """The referral as a FHIR R4 `collection` Bundle: a set of resources to read, not a
    `transaction` to apply, a `document` (needs a Composition) or a `message`."""
    entries = [patient_of(ctx), organization(ctx.care_org, False),
               organization(ctx.agency_org, True)]
    if ctx.requester is not None:
        entries.append(practitioner_role(ctx))
    entries.append(service_request(ctx))
    if ctx.reader == CARE:
        entries.extend(screening_observations(ctx))
    entries.extend(procedures(ctx))
    entries.append(task(ctx))
    consent = consent_resource(ctx)
    if consent is not None:
        entries.append(consent)
    return {
        "resourceType": "Bundle", "type": "collection",
        "timestamp": when(datetime.now(UTC)),
        "entry": [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r}
                  for r in entries],
    }
