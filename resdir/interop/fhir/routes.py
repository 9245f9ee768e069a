"""The /fhir endpoints: metadata, reads, Task search and update, Procedure create."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.metadata import version

from flask import Blueprint, g, request

from resdir.audit.operations import record_now
from resdir.auth import policy
from resdir.auth.models import CareOrganization
from resdir.directory import models as dm
from resdir.errors import BadParameter, NotFound
from resdir.extensions import db
from resdir.interop.fhir import capability, context, referral, search, task_update
from resdir.interop.fhir.common import server_base, when
from resdir.interop.fhir.consent import consent_resource
from resdir.interop.fhir.models import ReferralProcedure
from resdir.interop.fhir.outcome import fhir_json
from resdir.interop.fhir.patient import AGENCY, CARE, patient
from resdir.interop.fhir.procedures import create as create_procedure
from resdir.matching import operations as clients
from resdir.matching.models import Client
from resdir.referrals import operations
from resdir.referrals.models import Consent, Referral
from resdir.referrals.sharing import contact_shared

bp = Blueprint("fhir", __name__, url_prefix="/fhir")


def _referral(referral_id: str, audit: bool = True) -> context.Context:
    found = operations.get_referral(g.user, referral_id, audit=audit)  # policy: 401, 404
    return context.load(found, g.user)


def _body(kind: str) -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadParameter(f"Send a FHIR {kind} as a JSON object (application/fhir+json).",
                           kind)
    return body


@bp.get("/metadata")
def metadata():
    """The CapabilityStatement; public, as FHIR clients read it before signing in."""
    return fhir_json(capability.capability_statement(
        server_base(), version("resdir"), when(datetime.now(UTC))))


@bp.get("/Task/<referral_id>")
def read_task(referral_id: str):
    return fhir_json(referral.task(_referral(referral_id)))


@bp.put("/Task/<referral_id>")
def update_task(referral_id: str):
    """Full-resource update by the owner (or the requester): see task_update."""
    ctx = _referral(referral_id, audit=False)  # the change itself is audited
    ctx = task_update.apply(g.user, ctx, _body("Task"), request.headers.get("If-Match"))
    return fhir_json(referral.task(ctx))


@bp.get("/Task")
def search_tasks():
    policy.require_login(g.user)
    found, total, kept, page, count = search.search(g.user, request.args)
    base = server_base()
    entries = []
    for row in found:
        task = referral.task(context.load(row, g.user))
        entries.append({"fullUrl": f"{base}/Task/{row.id}", "resource": task,
                        "search": {"mode": "match"}})
    return fhir_json({"resourceType": "Bundle", "type": "searchset", "total": total,
                      "timestamp": when(datetime.now(UTC)),
                      "link": search.links(base, kept, page, count, total), "entry": entries})


@bp.get("/ServiceRequest/<referral_id>")
def read_service_request(referral_id: str):
    return fhir_json(referral.service_request(_referral(referral_id)))


@bp.get("/Consent/<consent_id>")
def read_consent(consent_id: str):
    policy.require_login(g.user)
    row = db.session.get(Consent, consent_id)
    if row is None:
        raise NotFound(f"No Consent/{consent_id}.")
    try:
        ctx = _referral(row.referral_id)
    except NotFound:
        raise NotFound(f"No Consent/{consent_id}.") from None
    return fhir_json(consent_resource(ctx))


@bp.get("/Procedure/<procedure_id>")
def read_procedure(procedure_id: str):
    policy.require_login(g.user)
    row = db.session.get(ReferralProcedure, procedure_id)
    referral_id = row.referral_id if row else procedure_id  # resdir's own: the referral's id
    try:
        ctx = _referral(referral_id)
    except NotFound:
        raise NotFound(f"No Procedure/{procedure_id}.") from None
    found = next((p for p in referral.procedures(ctx) if p["id"] == procedure_id), None)
    if found is None:
        raise NotFound(f"No Procedure/{procedure_id}.")
    return fhir_json(found)


@bp.post("/Procedure")
def post_procedure():
    policy.require_login(g.user)
    row, _ = create_procedure(g.user, _body("Procedure"))
    resource = dict(row.resource, id=row.id)
    return fhir_json(resource, 201, {"Location": f"{server_base()}/Procedure/{row.id}"})


@bp.get("/Patient/<patient_id>")
def read_patient(patient_id: str):
    """The referrer's coordinators and admins read the client in full; an agency reads
    the minimum necessary, and only a client of a referral it received."""
    policy.require_login(g.user)
    person = db.session.get(Client, patient_id)
    if person is not None and policy.can_see_client(g.user, person):
        clients.get_client(g.user, patient_id)  # the audited read
        return fhir_json(patient(person, CARE))
    held = [] if person is None else [
        r for r in db.session.query(Referral).filter_by(client_id=person.id)
        if policy.can_see_referral(g.user, r)]
    if not held:
        raise NotFound(f"No Patient/{patient_id}.")
    record_now("client.read", "client", person.id, user=g.user)
    given = [r.consent for r in held if r.consent and r.consent.given]
    # Contact details when the consent on any referral it holds covers contact.
    contact = next((c for c in (contact_shared(r, person) for r in held) if c), None)
    return fhir_json(patient(person, AGENCY, [c.scope for c in given if c.scope],
                             shared=bool(given), contact=contact))


@bp.get("/Organization/<organization_id>")
def read_organization(organization_id: str):
    """Directory organizations are public facts; a care organization is shown to its own
    people, admins and agencies that received its referrals."""
    policy.require_login(g.user)
    org = db.session.get(dm.Organization, organization_id)
    if org is not None:
        return fhir_json(referral.organization(org, True))
    care = db.session.get(CareOrganization, organization_id)
    allowed = care is not None and policy.can_see_care_organization(
        g.user, care.id, lambda agency_id: db.session.query(Referral.id).filter(
            Referral.care_organization_id == care.id,
            Referral.agency_organization_id == agency_id,
            Referral.requested_at.is_not(None), Referral.status != "draft").first())
    if not allowed:
        raise NotFound(f"No Organization/{organization_id}.")
    return fhir_json(referral.organization(care, False))


# The referral's Bundle under the JSON API's path: the referrals package serves the rest of
# /api/v1/referrals, and this route lives here because the FHIR code reads that package.
api_bp = Blueprint("referrals_fhir", __name__, url_prefix="/api/v1")


@api_bp.get("/referrals/<referral_id>/fhir")
def referral_bundle(referral_id: str):
    """The referral as a FHIR R4 Bundle (SDOHCC ServiceRequest, Task, Patient, ...)."""
    return fhir_json(referral.bundle(_referral(referral_id), server_base()))
