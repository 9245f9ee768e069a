"""`POST /fhir/Procedure`: the owning agency records what it delivered for a referral."""

from __future__ import annotations

from sqlalchemy import select

from resdir.audit.operations import record
from resdir.auth import policy
from resdir.errors import BadParameter
from resdir.extensions import db
from resdir.interop.fhir.common import PROCEDURE_PROFILE, SOCIAL_SERVICE
from resdir.interop.fhir.models import ReferralProcedure
from resdir.interop.fhir.outcome import Unprocessable
from resdir.interop.fhir.referral import category
from resdir.referrals import states
from resdir.referrals.models import Referral

ELEMENTS = {
    "resourceType", "id", "meta", "implicitRules", "language", "text", "contained",
    "extension", "modifierExtension", "identifier", "instantiatesCanonical",
    "instantiatesUri", "basedOn", "partOf", "status", "statusReason", "category", "code",
    "subject", "encounter", "performedDateTime", "performedPeriod", "performedString",
    "performedAge", "performedRange", "recorder", "asserter", "performer", "location",
    "reasonCode", "reasonReference", "bodySite", "outcome", "report", "complication",
    "complicationDetail", "followUp", "note", "focalDevice", "usedReference", "usedCode",
}
EVENT_STATUSES = ("preparation", "in-progress", "not-done", "on-hold", "stopped",
                  "completed", "entered-in-error", "unknown")
# A Procedure follows the agency's acceptance; it may be posted until the referral closes.
OPEN_FOR_PROCEDURES = ("accepted", "in-progress", "on-hold")


def _reference(value, path: str, kind: str) -> str:
    target = value.get("reference") if isinstance(value, dict) else None
    if not isinstance(target, str) or not target.startswith(kind + "/"):
        raise BadParameter(f"{path} must be a reference to {kind}/<id>.", path)
    return target.split("/", 1)[1]


def code_text(resource: dict) -> str | None:
    code = resource.get("code") or {}
    words = code.get("text") or next((c.get("display") for c in code.get("coding") or []
                                      if isinstance(c, dict) and c.get("display")), None)
    return words.strip()[:2000] if isinstance(words, str) and words.strip() else None


def create(user, resource) -> tuple[ReferralProcedure, Referral]:
    if not isinstance(resource, dict) or resource.get("resourceType") != "Procedure":
        raise BadParameter("Send a FHIR Procedure as a JSON object.", "Procedure.resourceType")
    unknown = sorted(set(resource) - ELEMENTS)
    if unknown:
        raise BadParameter(f"Procedure.{unknown[0]} is not an element of a FHIR R4 Procedure.",
                           f"Procedure.{unknown[0]}")
    based = resource.get("basedOn")
    if not isinstance(based, list) or len(based) != 1:
        raise BadParameter("Procedure.basedOn must name exactly one referral, "
                           "[{\"reference\": \"ServiceRequest/<id>\"}].", "Procedure.basedOn")
    referral_id = _reference(based[0], "Procedure.basedOn[0]", "ServiceRequest")
    referral = db.session.get(Referral, referral_id)
    if referral is None or policy.referral_side(user, referral) != states.AGENCY \
            or not policy.can_see_referral(user, referral):
        raise Unprocessable(f"Procedure.basedOn[0]: ServiceRequest/{referral_id} is not a "
                            "referral your agency owns.", "Procedure.basedOn[0]")
    if referral.status not in OPEN_FOR_PROCEDURES:
        raise Unprocessable(f"Procedure.basedOn[0]: the referral is {referral.status}; a "
                            "Procedure can be recorded once it is accepted and until it "
                            "closes.", "Procedure.basedOn[0]")
    subject = _reference(resource.get("subject"), "Procedure.subject", "Patient")
    if subject != referral.client_id:
        raise Unprocessable("Procedure.subject must be the referral's Patient "
                            f"(Patient/{referral.client_id}).", "Procedure.subject")
    status = resource.get("status")
    if status not in EVENT_STATUSES:
        raise BadParameter("Procedure.status must be one of: " + ", ".join(EVENT_STATUSES)
                           + ".", "Procedure.status")
    code = resource.get("code")
    if not isinstance(code, dict) or not (code.get("coding") or code.get("text")):
        raise BadParameter("Procedure.code needs a coding (SNOMED CT) or a text.",
                           "Procedure.code")
    if not isinstance(code.get("coding", []), list):
        raise BadParameter("Procedure.code.coding must be a list.", "Procedure.code.coding")
    kept = {k: v for k, v in resource.items() if k not in ("id", "meta", "text")}
    kept["meta"] = {"profile": [PROCEDURE_PROFILE]}
    kept.setdefault("category", {"coding": [SOCIAL_SERVICE, category(referral.need_code)]})
    row = ReferralProcedure(referral_id=referral.id, status=status, code_text=code_text(kept),
                            resource=kept, created_by=user.id)
    db.session.add(row)
    db.session.flush()
    record("referral.procedure", "referral", referral.id, user=user)
    db.session.commit()
    return row, referral


def of_referral(referral_id: str, ids: list[str]) -> list[ReferralProcedure]:
    rows = {p.id: p for p in db.session.scalars(select(ReferralProcedure).where(
        ReferralProcedure.referral_id == referral_id, ReferralProcedure.id.in_(ids)))}
    for i, pid in enumerate(ids):
        if pid not in rows:
            raise Unprocessable(f"Task.output: Procedure/{pid} is not a Procedure of this "
                                "referral; POST it first with basedOn this ServiceRequest.",
                                f"Task.output[{i}]")
    return [rows[pid] for pid in ids]
