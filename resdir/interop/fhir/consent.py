"""The client's consent to share with the agency as an SDOHCC Consent."""

from __future__ import annotations

import base64

from resdir.interop.fhir.common import CONSENT_PROFILE, prune, ref, when


def consent_resource(ctx) -> dict | None:
    consent, referral = ctx.referral.consent, ctx.referral
    if consent is None:
        return None
    method = consent.method or "unrecorded"
    who = "the client" if consent.given_by == "client" else f"the client's {consent.given_by}"
    statement = (f"{method.capitalize()} consent {'given' if consent.given else 'not given'} "
                 f"by {who} to share information with {ctx.agency_org.name} for this "
                 f"referral. What may be shared: {consent.scope or 'not stated'}.")
    policy = {"text": statement}
    if method == "written":  # as the example; a spoken or clicked consent is no HIPAA form
        policy["coding"] = [{"system": "http://terminology.hl7.org/CodeSystem/consentpolicycodes",
                             "code": "hipaa-auth", "display": "HIPAA Authorization"}]
    performer = (ref("Patient", referral.client_id) if consent.given_by == "client"
                 else {"display": f"Client's {consent.given_by}"})
    return prune({
        "resourceType": "Consent", "id": consent.id, "meta": {"profile": [CONSENT_PROFILE]},
        "status": "active" if consent.given else "proposed",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                              "code": "patient-privacy", "display": "Privacy Consent"}]},
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                  "code": "IDSCL", "display": "information disclosure"}]}],
        "patient": ref("Patient", referral.client_id),
        "dateTime": when(consent.recorded_at),
        "performer": [performer],
        "organization": [ref("Organization", ctx.care_org.id, ctx.care_org.name)],
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
            "reference": ref("Organization", ctx.agency_org.id, ctx.agency_org.name)}]},
    })
