"""Referrals: create with consent, move through the status machine, list.

Each function checks the policy itself, writes an event on the referral's timeline and an
audit row in the same transaction, and notifies by e-mail after the commit. Deadlines and
reminders are in deadlines.py, what pages and the API show of a referral in present.py,
the lists a user may see in lists.py.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from resdir.audit.operations import audited_read, record
from resdir.auth import policy
from resdir.basics import utcnow
from resdir.directory import models as dm
from resdir.errors import BadParameter, Conflict, Forbidden
from resdir.extensions import db
from resdir.matching import operations as clients
from resdir.matching.needs import load_needs
from resdir.referrals import notify, states
from resdir.referrals.models import CONTACT, PRIORITIES, Consent, Referral, ReferralEvent
from resdir.values import column_length

log = logging.getLogger(__name__)
METHODS = ("verbal", "written", "electronic")
# The JSON fields each write accepts (anything else is refused, naming it).
CREATE_FIELDS = ("client_id", "service_id", "need", "consent", "note", "priority",
                 "contact_preference", "confirm_duplicate")
CHANGE_FIELDS = ("status", "reason", "reason_text", "outcome", "version", "note", "consent")


def get_referral(user, referral_id: str, *, audit: bool = True) -> Referral:
    policy.require_login(user)
    return audited_read("referral", db.session.get(Referral, referral_id),
                        policy.can_see_referral, user=user, missing="No such referral.",
                        audit=audit)


def _text(data: dict, name: str, limit: int = 2000) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise BadParameter(f"{name} must be text of at most {limit} characters.", name)
    return value.strip() or None


def _consent(data) -> dict:
    if data is None:
        return {"given": False}
    if not isinstance(data, dict) or not isinstance(data.get("given"), bool):
        raise BadParameter('consent must be {"given": true|false, "method", "scope"}.',
                           "consent")
    if data["given"] and data.get("method") not in METHODS:
        raise BadParameter("consent.method must be one of: " + ", ".join(METHODS) + ".",
                           "consent.method")
    if data["given"] and not _text(data, "scope"):
        raise BadParameter("consent.scope must say what may be shared.", "consent.scope")
    if not isinstance(data.get("contact", False), bool):
        raise BadParameter("consent.contact must be true (the agency may see how to reach "
                           "the client) or false.", "consent.contact")
    by, limit = data.get("given_by"), column_length(Consent.given_by)
    if by is not None and not (isinstance(by, str) and len(by.strip()) <= limit):
        raise BadParameter(f"consent.given_by must say who gave consent (client, or for "
                           f"example guardian), in at most {limit} characters.",
                           "consent.given_by")
    return data


def create_referral(user, data: dict) -> Referral:
    """A referral of a client to a program; `requested` when consent is given, else draft."""
    policy.require_role(user, "coordinator")
    if not isinstance(data, dict):
        raise BadParameter("Send a JSON object.", "body")
    client = clients.get_client(user, str(data.get("client_id", "")), audit=False)
    service = db.session.get(dm.Service, str(data.get("service_id", "")))
    if service is None:
        raise BadParameter("service_id names no program.", "service_id")
    if service.status != "active":
        raise BadParameter(f"This program is {service.status}; it takes no referrals.",
                           "service_id")
    need = data.get("need")
    if not isinstance(need, str) or need not in load_needs():
        raise BadParameter("need must be a Gravity SDOH category code.", "need")
    priority = data.get("priority") or "routine"
    if priority not in PRIORITIES:
        raise BadParameter("priority must be routine or urgent.", "priority")
    contact = data.get("contact_preference") or "phone"
    if contact not in CONTACT:
        raise BadParameter("contact_preference must be one of: " + ", ".join(CONTACT) + ".",
                           "contact_preference")
    consent = _consent(data.get("consent"))
    # A draft was never sent, so it is not an open referral that a new one would duplicate.
    duplicate = db.session.scalar(select(Referral.id).where(
        Referral.client_id == client.id, Referral.service_id == service.id,
        Referral.status.in_(states.OPEN), Referral.status != "draft"))
    if duplicate and data.get("confirm_duplicate") is not True:
        raise Conflict(f"This client already has an open referral to {service.name}. To "
                       "refer them again anyway, confirm that you mean a second referral.",
                       "confirm_duplicate")
    locations = service.locations
    referral = Referral(
        client_id=client.id, service_id=service.id,
        location_id=locations[0].id if locations else None, need_code=need,
        care_organization_id=client.care_organization_id, referrer_id=user.id,
        agency_organization_id=service.organization_id, note=_text(data, "note"),
        priority=priority, contact_preference=contact, status="draft")
    referral.consent = Consent(given=consent["given"], method=consent.get("method"),
                               scope=_text(consent, "scope"),
                               contact=consent.get("contact") is True,
                               given_by=(consent.get("given_by") or "").strip() or "client",
                               recorded_by=user.id)
    db.session.add(referral)
    db.session.flush()
    add_event(referral, user, states.REFERRER, None, "draft", note="Referral created")
    if consent["given"]:
        _move(referral, user, states.REFERRER, "requested")
    record("referral.create", "referral", referral.id, user=user)
    db.session.commit()
    log.info("referral %s created by user %s (%s)", referral.id, user.id, referral.status)
    if referral.status == "requested":
        notify.tell_agency(referral, "New referral")
    return referral


def add_event(referral, user, side, from_status, to_status, reason=None, note=None) -> None:
    """A row on the referral's timeline, in the session (committed with the change)."""
    db.session.add(ReferralEvent(referral_id=referral.id, user_id=user.id if user else None,
                                 side=side, from_status=from_status, to_status=to_status,
                                 reason=reason, note=note))


def _move(referral: Referral, user, side: str, status: str, reason=None, reason_text=None,
          outcome=None, note=None) -> None:
    before = referral.status
    referral.status = status
    now = utcnow()
    if status == "requested":
        referral.requested_at = now
    if status in ("accepted", "rejected") and referral.responded_at is None:
        referral.responded_at = now
    if status in states.TERMINAL:
        referral.closed_at = now
    if reason:
        referral.status_reason, referral.reason_text = reason, reason_text
    if outcome:
        referral.outcome_enrollment = outcome.get("enrollment")
        referral.outcome_provided = (outcome.get("provided") or "").strip()[:2000] or None
    add_event(referral, user, side, before, status, reason,
           note or (reason_text if reason else None))


def change_status(user, referral: Referral, data: dict) -> Referral:
    """Apply {status, reason, reason_text, outcome, version, note} with every rule."""
    if not isinstance(data, dict):
        raise BadParameter("Send a JSON object.", "body")
    side = policy.referral_side(user, referral)
    if side is None:
        raise Forbidden("Only the referring organization or the receiving agency may change "
                        "this referral.")
    _check_version(referral, data.get("version"))
    status = data.get("status")
    if status == "requested" and not (referral.consent and referral.consent.given):
        raise BadParameter("Record the client's consent before sending the referral.",
                           "consent")
    try:
        states.check(referral.status, status, side, data.get("reason"),
                     _text(data, "reason_text"), data.get("outcome"))
    except states.TransitionError as exc:
        error = {"illegal": Conflict, "side": Forbidden}.get(exc.kind, BadParameter)
        raise error(exc.message, exc.field) from None
    _move(referral, user, side, status, data.get("reason"), _text(data, "reason_text"),
          data.get("outcome"), _text(data, "note"))
    record("referral.status", "referral", referral.id, user=user)
    commit_or_conflict(referral)
    log.info("referral %s now %s (user %s)", referral.id, status, user.id)
    if side == states.AGENCY:
        notify.tell_referrer(referral, f"Referral {status}")
    elif status == "requested":
        notify.tell_agency(referral, "New referral")
    return referral


def _check_version(referral: Referral, version) -> None:
    """409 unless `version` is the referral's current one (the database checks it again in
    the UPDATE itself, see resdir.versioning)."""
    if version != referral.version or isinstance(version, bool):
        raise Conflict(f"This referral was changed by someone else (now {referral.status}, "
                       f"version {referral.version}). Review it and try again.",
                       version=referral.version)


def give_consent(user, referral: Referral, data, version=None) -> Referral:
    """Record consent on a draft; with `version`, only if the draft is still that version."""
    if policy.referral_side(user, referral) != states.REFERRER or referral.status != "draft":
        raise Forbidden("Consent is recorded by the referring organization on a draft.")
    if version is not None:
        _check_version(referral, version)
    consent = _consent(data)
    referral.consent.given = consent["given"]
    referral.consent.method, referral.consent.scope = consent.get("method"), _text(consent,
                                                                                   "scope")
    referral.consent.contact = consent.get("contact") is True
    referral.consent.recorded_by, referral.consent.recorded_at = user.id, utcnow()
    add_event(referral, user, states.REFERRER, None, None, note="Consent recorded")
    record("referral.consent", "referral", referral.id, user=user)
    commit_or_conflict(referral)
    return referral


def send_draft(user, referral: Referral, consent_data, version: int | None) -> Referral:
    """Record consent on a draft and request it from the agency, in one transaction."""
    if policy.referral_side(user, referral) != states.REFERRER or referral.status != "draft":
        raise Forbidden("Only the referring organization sends its own drafts.")
    if version != referral.version:
        raise Conflict("This referral was changed by someone else. Review it and try again.")
    consent = _consent(consent_data)
    if not consent["given"]:
        raise BadParameter("Tick that the client consents: without consent the referral "
                           "cannot be sent.", "consent")
    referral.consent.given = True
    referral.consent.method, referral.consent.scope = consent.get("method"), _text(consent,
                                                                                   "scope")
    referral.consent.contact = consent.get("contact") is True
    referral.consent.recorded_by, referral.consent.recorded_at = user.id, utcnow()
    add_event(referral, user, states.REFERRER, None, None, note="Consent recorded")
    _move(referral, user, states.REFERRER, "requested")
    record("referral.consent", "referral", referral.id, user=user)
    record("referral.status", "referral", referral.id, user=user)
    commit_or_conflict()
    log.info("referral %s sent by user %s", referral.id, user.id)
    notify.tell_agency(referral, "New referral")
    return referral


def add_note(user, referral: Referral, note: str | None) -> None:
    side = policy.referral_side(user, referral)
    if side is None:
        raise Forbidden("Only the two sides of a referral may add notes.")
    text = _text({"note": note}, "note")
    if not text:
        raise BadParameter("Write a note.", "note")
    stage_note(user, referral, side, text)
    commit_or_conflict(referral)


def stage_note(user, referral: Referral, side: str, text: str) -> None:
    """A note on the timeline and its audit row, in the session."""
    add_event(referral, user, side, None, None, note=text)
    record("referral.note", "referral", referral.id, user=user)


def commit_or_conflict(referral: Referral | None = None) -> None:
    """Commit, or roll back and answer 409 when another writer changed the referral first."""
    try:
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise Conflict("This referral was changed by someone else at the same moment. "
                       "Review it and try again.",
                       version=referral.version if referral is not None else None) from None
