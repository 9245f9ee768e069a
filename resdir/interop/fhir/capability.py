"""`GET /fhir/metadata`: what this server does, as a FHIR R4 CapabilityStatement."""

from __future__ import annotations

from resdir.interop.fhir.common import (
    CONSENT_PROFILE,
    FHIR_VERSION,
    PROCEDURE_PROFILE,
    SERVICE_REQUEST_PROFILE,
    TASK_PROFILE,
    US_CORE_ORGANIZATION,
    US_CORE_PATIENT,
)

TASK_SEARCH = [
    ("owner", "reference", "The agency that owns the referral: Organization/<id>."),
    ("status", "token", "Referral task status; a comma means or."),
    ("_lastUpdated", "date", "When the Task last changed (gt/ge/lt/le/eq); poll with gt."),
    ("_id", "token", "Task id; a comma means or."),
    ("focus", "reference", "The referral's ServiceRequest: ServiceRequest/<id>."),
]


def _resource(kind: str, profile: str, interactions: list[str], search=(),
              versioning: str = "no-version") -> dict:
    out = {"type": kind, "profile": profile,
           "interaction": [{"code": code} for code in interactions],
           "versioning": versioning, "readHistory": False, "updateCreate": False,
           "conditionalUpdate": False}
    if search:
        out["searchParam"] = [{"name": name, "type": kind_, "documentation": words}
                              for name, kind_, words in search]
        out["searchParam"] += [{"name": "_count", "type": "number",
                                "documentation": "Page size."},
                               {"name": "_page", "type": "number",
                                "documentation": "Page number (the Bundle's links)."}]
    return out


def capability_statement(base: str, software_version: str, date: str) -> dict:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active", "date": date, "kind": "instance",
        "publisher": "resdir",
        "description": "resdir as an SDOH Clinical Care referral platform: agencies read, "
                       "poll and update the referral Tasks addressed to them and post the "
                       "Procedures they delivered.",
        "software": {"name": "resdir", "version": software_version},
        "implementation": {"description": "resdir FHIR API", "url": base},
        "fhirVersion": FHIR_VERSION, "format": ["json"],
        "rest": [{
            "mode": "server",
            "security": {
                "cors": False,
                "service": [{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                    "code": "OAuth", "display": "OAuth"}],
                    "text": "Bearer tokens"}],
                "description": "Every resource needs 'Authorization: Bearer <token>' (an API "
                               "token from resdir's create-token command, for one user of "
                               "one organization). Without one: 401. A resource the token's "
                               "user may not see answers 404, as if it did not exist.",
            },
            "resource": [
                _resource("Task", TASK_PROFILE, ["read", "update", "search-type"], TASK_SEARCH,
                          "versioned-update"),
                _resource("ServiceRequest", SERVICE_REQUEST_PROFILE, ["read"],
                          versioning="versioned"),
                _resource("Patient", US_CORE_PATIENT, ["read"]),
                _resource("Consent", CONSENT_PROFILE, ["read"]),
                _resource("Procedure", PROCEDURE_PROFILE, ["create", "read"]),
                _resource("Organization", US_CORE_ORGANIZATION, ["read"]),
            ],
        }],
    }
