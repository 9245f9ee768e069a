"""Shared pieces of resdir's FHIR R4 (4.0.1) face: code systems, profiles, small builders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app

from resdir.basics import aware

FHIR_VERSION = "4.0.1"
MIMETYPE = "application/fhir+json"
SDOHCC = "http://hl7.org/fhir/us/sdoh-clinicalcare"
SERVICE_REQUEST_PROFILE = f"{SDOHCC}/StructureDefinition/SDOHCC-ServiceRequest"
TASK_PROFILE = f"{SDOHCC}/StructureDefinition/SDOHCC-TaskForReferralManagement"
PROCEDURE_PROFILE = f"{SDOHCC}/StructureDefinition/SDOHCC-Procedure"
CONSENT_PROFILE = f"{SDOHCC}/StructureDefinition/SDOHCC-Consent"
SCREENING_RESPONSE_PROFILE = f"{SDOHCC}/StructureDefinition/SDOHCC-ObservationScreeningResponse"
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition"
US_CORE_PATIENT = f"{US_CORE}/us-core-patient"
US_CORE_ORGANIZATION = f"{US_CORE}/us-core-organization"
TEMPORARY_CODES = f"{SDOHCC}/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
SOCIAL_SERVICE = {"system": SNOMED, "code": "410606002", "display": "Social service procedure"}
FULFILL = {"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill",
           "display": "Fulfill the focal request"}
RESULTING_ACTIVITY = {"system": TEMPORARY_CODES, "code": "resulting-activity",
                      "display": "Resulting Activity"}
CONTACT_PROHIBITED = {"system": TEMPORARY_CODES, "code": "contacting-subject-prohibited",
                      "display": "Contacting Subject Prohibited"}
DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
ENROLLMENT_STATUS = "enrollment-status"


def canonical() -> str:
    """Canonical base of resdir's own code systems: a setting, never the request's host,
    so a code's system stays the same however the server was reached."""
    cfg = current_app.config
    return (cfg.get("RESDIR_FHIR_CANONICAL") or cfg["RESDIR_BASE_URL"].rstrip("/") + "/fhir"
            ).rstrip("/")


def codes_url() -> str:
    """resdir's code system for status reasons, enrollment and business status."""
    return canonical() + "/CodeSystem/resdir-referral"


def client_id_system() -> str:
    """Patient.identifier system of resdir's client ids."""
    return canonical() + "/NamingSystem/client-id"


def server_base() -> str:
    """Base of fullUrls and paging links: the configured public address, not the Host
    header a caller sent."""
    return current_app.config["RESDIR_BASE_URL"].rstrip("/") + "/fhir"


def when(value: datetime | None) -> str | None:
    """FHIR dateTime to the second: a time zone is required; stored naive times are UTC."""
    moment = aware(value)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z") if moment else None


def instant(value: datetime | None) -> str | None:
    """FHIR instant with the stored precision (microseconds), so a client polling
    `_lastUpdated=gt<what it saw>` never skips a change made within the same second."""
    moment = aware(value)
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def ref(kind: str, id_: str, display: str | None = None) -> dict:
    return {"reference": f"{kind}/{id_}", **({"display": display} if display else {})}


def prune(resource: dict) -> dict:
    """FHIR has no nulls and no empty arrays or objects."""
    return {k: v for k, v in resource.items() if v is not None and v not in ([], {})}


def absent(code: str = "masked") -> dict:
    """A primitive's `_element` saying why the value is not there."""
    return {"extension": [{"url": DATA_ABSENT, "valueCode": code}]}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []
