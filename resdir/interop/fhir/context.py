"""Everything one referral's FHIR resources are built from, loaded once per request."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from resdir.auth import policy
from resdir.auth.models import CareOrganization, User
from resdir.directory import models as dm
from resdir.extensions import db
from resdir.interop.fhir.models import ReferralProcedure, TaskState
from resdir.interop.fhir.patient import AGENCY, CARE
from resdir.matching.models import Client, Screening
from resdir.referrals import states
from resdir.referrals.models import Referral, ReferralEvent


@dataclass
class Context:
    referral: Referral
    client: Client
    service: dm.Service
    care_org: CareOrganization
    agency_org: dm.Organization
    requester: User | None
    reader: str = CARE
    screening: Screening | None = None  # the latest screening that found the referral's need
    procedures: list = field(default_factory=list)  # ReferralProcedure rows, oldest first
    # (all of them: Procedure reads and the Bundle; Task.output names those in_output)
    notes: list = field(default_factory=list)  # timeline events that are notes
    business_status: str | None = None

    @property
    def consent_scopes(self) -> list[str]:
        consent = self.referral.consent
        return [consent.scope] if consent and consent.given and consent.scope else []


def reader_of(user, referral: Referral) -> str:
    """The agency side reads the minimum necessary; the referrer and admins read it all."""
    return AGENCY if policy.referral_side(user, referral) == states.AGENCY else CARE


def screening_for(client: Client, need: str) -> Screening | None:
    for screening in client.screenings:  # newest first
        found = (screening.result or {}).get("needs") or []
        if any(isinstance(n, dict) and n.get("code") == need for n in found):
            return screening
    return None


def load(referral: Referral, user) -> Context:
    client = db.session.get(Client, referral.client_id)
    state = db.session.get(TaskState, referral.id)
    return Context(
        referral=referral, client=client,
        service=db.session.get(dm.Service, referral.service_id),
        care_org=db.session.get(CareOrganization, referral.care_organization_id),
        agency_org=db.session.get(dm.Organization, referral.agency_organization_id),
        requester=db.session.get(User, referral.referrer_id),
        reader=reader_of(user, referral),
        screening=screening_for(client, referral.need_code),
        procedures=list(db.session.scalars(
            select(ReferralProcedure).where(ReferralProcedure.referral_id == referral.id)
            .order_by(ReferralProcedure.created_at, ReferralProcedure.id))),
        notes=list(db.session.scalars(
            select(ReferralEvent).where(ReferralEvent.referral_id == referral.id,
                                        ReferralEvent.to_status.is_(None),
                                        ReferralEvent.note.is_not(None))
            .order_by(ReferralEvent.id))),
        business_status=state.business_status if state else None,
    )
