"""The client as a US Core-shaped Patient, minimum necessary for the reader.

The referring care organization (and admins) see the facts a referral needs: identifier,
name parts, gender, birth date, ZIP and state, languages. An agency sees what the README
says agencies see: name, age (the birth year only), ZIP and languages, and only once the
client consented; the full birth date or the gender only when the consent's words say so
("birth date"/"date of birth"/"DOB", "gender"/"sex"). A withheld required element carries
data-absent-reason `masked`, as US Core asks. Income, insurance, household, veteran,
pregnancy, disability and coordinates never leave.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from resdir.interop.fhir.common import US_CORE_PATIENT, absent, client_id_system, prune

GENDER = {"female": "female", "male": "male", "nonbinary": "other", "other": "other"}
CONSENT_WORDS = {
    "birthDate": ("birth date", "date of birth", "birthdate", "dob"),
    "gender": ("gender", "sex"),
}
CARE, AGENCY = "care", "agency"


def _birth_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def name_parts(name: str | None) -> dict | None:
    """HumanName from one stored string: the last word is the family name (a guess resdir
    must make, so `text` keeps the name as written)."""
    words = (name or "").split()
    if not words:
        return None
    part = {"use": "usual", "text": " ".join(words), "family": words[-1]}
    if len(words) > 1:
        part["given"] = words[:-1]
    return part


def consented(consent_scopes: list[str], element: str) -> bool:
    words = " ".join(consent_scopes).lower()
    return any(w in words for w in CONSENT_WORDS[element])


def telecom(contact: dict | None) -> list[dict] | None:
    """The client's phone and e-mail as ContactPoints (the preferred one ranked first)."""
    contact = contact or {}
    method = contact.get("contact_method")
    points = []
    for system, key, preferred in (("phone", "phone", ("phone",)),
                                   ("sms", "phone", ("text",)), ("email", "email", ("email",))):
        if contact.get(key) and (system != "sms" or method == "text"):
            points.append({"system": system, "value": contact[key], "use": "home",
                           **({"rank": 1} if method in preferred else {})})
    return points or None


def patient(client, reader: str, consent_scopes: list[str] | None = None,
            shared: bool = True, contact: dict | None = None) -> dict:
    """`reader` is CARE or AGENCY; `consent_scopes` the words of the consents the agency
    holds; `shared` False (no consent given) leaves an agency only the id; `contact` the
    contact details this reader may see (resdir.referrals.sharing)."""
    facts = client.facts or {}
    resource: dict = {"resourceType": "Patient", "id": client.id,
                      "meta": {"profile": [US_CORE_PATIENT]}}
    identifier = [{"use": "usual", "system": client_id_system(), "value": client.id}]
    if reader == AGENCY and not shared:
        return {**resource, "identifier": identifier,
                "name": [{"extension": absent()["extension"]}], "_gender": absent()}
    scopes = consent_scopes or []
    full = reader == CARE
    born = _birth_date(facts.get("birth_date"))
    birth = None
    if born and (full or consented(scopes, "birthDate")):
        birth = born.isoformat()
    elif born:
        birth = f"{born.year:04d}"  # the age, not the day
    gender = GENDER.get(facts.get("gender")) if full or consented(scopes, "gender") else None
    address = prune({"postalCode": facts.get("zip"), "state": facts.get("state") if full else None})
    languages = facts.get("languages") if isinstance(facts.get("languages"), list) else []
    name = name_parts(client.name)
    resource.update(prune({
        "identifier": identifier,
        "name": [name] if name else [{"extension": absent("unknown")["extension"]}],
        "gender": gender,
        "telecom": telecom(client.contact if full else contact),
        "birthDate": birth,
        "address": [address] if address else None,
        "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": code}]}}
                          for code in languages if isinstance(code, str)],
    }))
    if gender is None:
        resource["_gender"] = absent("masked" if facts.get("gender") else "unknown")
    return resource
