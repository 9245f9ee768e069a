"""What pages and the API show of a referral: its JSON, the client as each side may know
them, and the rows of a referral list."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from resdir.auth import policy
from resdir.auth.models import CareOrganization, User
from resdir.basics import aware
from resdir.directory import models as dm
from resdir.extensions import db
from resdir.matching.models import Client
from resdir.referrals import states
from resdir.referrals.deadlines import due, overdue
from resdir.referrals.models import Referral
from resdir.referrals.sharing import contact_shared


def shared_client(referral: Referral, user) -> dict:
    """What the agency may know of the client: the minimum to reach and serve them."""
    client = db.session.get(Client, referral.client_id)
    facts = client.facts or {}
    shared = {"name": client.name, "age": facts.get("age"), "zip": facts.get("zip"),
              "languages": facts.get("languages")}
    contact = contact_shared(referral, client)  # only when consent covers contact
    if contact:
        shared["contact"] = contact
    if policy.knows_client_identity(user, referral):
        shared["id"] = client.id
    return shared


def referral_json(referral: Referral, user) -> dict:
    service = db.session.get(dm.Service, referral.service_id)
    agency = db.session.get(dm.Organization, referral.agency_organization_id)
    consent = referral.consent
    return {
        "id": referral.id,
        "status": referral.status,
        "version": referral.version,
        "need": referral.need_code,
        "priority": referral.priority,
        "contact_preference": referral.contact_preference,
        "do_not_contact": referral.contact_preference == "do-not-contact",
        "service": {"id": service.id, "name": service.name},
        "agency": {"id": agency.id, "name": agency.name},
        "care_organization_id": referral.care_organization_id,
        "client": shared_client(referral, user),
        "note": referral.note,
        "consent": {"given": consent.given, "method": consent.method, "scope": consent.scope,
                    "given_by": consent.given_by, "contact": consent.contact,
                    "recorded_at": aware(consent.recorded_at).isoformat()} if consent else None,
        "reason": referral.status_reason,
        "reason_text": referral.reason_text,
        "outcome": {"enrollment": referral.outcome_enrollment,
                    "provided": referral.outcome_provided}
        if referral.outcome_enrollment or referral.outcome_provided
        else None,
        "created_at": aware(referral.created_at).isoformat(),
        "requested_at": _iso(referral.requested_at),
        "responded_at": _iso(referral.responded_at),
        "closed_at": _iso(referral.closed_at),
        "overdue": overdue(referral),
        "next": states.next_statuses(referral.status, policy.referral_side(user, referral) or ""),
        "timeline": [{"at": aware(e.at).isoformat(), "user_id": e.user_id, "side": e.side,
                      "from": e.from_status, "to": e.to_status, "reason": e.reason,
                      "note": e.note} for e in referral.events],
    }


def _iso(moment: datetime | None) -> str | None:
    return aware(moment).isoformat() if moment else None


def list_rows(user, found: list[Referral]) -> list[dict]:
    """What a referral list shows of each: the client as this side may see them, the
    program, both organizations, the referring person, when the next step is due."""
    def names(model, ids, column="name"):
        ids = {i for i in ids if i}
        return {row.id: getattr(row, column) for row in db.session.scalars(
            select(model).where(model.id.in_(ids)))} if ids else {}

    services = names(dm.Service, {r.service_id for r in found})
    agencies = names(dm.Organization, {r.agency_organization_id for r in found})
    cares = names(CareOrganization, {r.care_organization_id for r in found})
    people = names(User, {r.referrer_id for r in found}, "email")
    clients_by_id = names(Client, {r.client_id for r in found})
    return [{"referral": r, "client": clients_by_id.get(r.client_id) or "Unnamed client",
             "client_id": r.client_id if policy.knows_client_identity(user, r) else None,
             "service": services.get(r.service_id, ""),
             "agency": agencies.get(r.agency_organization_id, ""),
             "referred_by": cares.get(r.care_organization_id, ""),
             "referrer": people.get(r.referrer_id, ""), "due": due(r),
             "overdue": overdue(r), "changed": aware(r.updated_at or r.created_at)}
            for r in found]
