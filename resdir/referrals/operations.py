"""Referrals: create with consent, move through the status machine, list, remind.

Each function checks the policy itself, writes an event on the referral's timeline and an
audit row in the same transaction, and notifies by e-mail after the commit.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from resdir.audit.operations import record, record_now
from resdir.auth import policy
from resdir.auth.models import User
from resdir.directory import models as dm
from resdir.errors import BadParameter, Conflict, Forbidden, NotFound
from resdir.extensions import db
from resdir.matching import operations as clients
from resdir.matching.needs import load_needs
from resdir.referrals import notify, states
from resdir.referrals.models import CONTACT, PRIORITIES, Consent, Referral, ReferralEvent
from resdir.referrals.models import ReminderSent as Reminder
from resdir.referrals.sharing import contact_shared
from resdir.values import column_length

log = logging.getLogger(__name__)
METHODS = ("verbal", "written", "electronic")
# The JSON fields each write accepts (anything else is refused, naming it).
CREATE_FIELDS = ("client_id", "service_id", "need", "consent", "note", "priority",
                 "contact_preference", "confirm_duplicate")
CHANGE_FIELDS = ("status", "reason", "reason_text", "outcome", "version", "note", "consent")


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def side_of(user, referral: Referral) -> str | None:
    if user is None or not user.active:
        return None
    if user.role == "coordinator" and user.care_organization_id == referral.care_organization_id:
        return states.REFERRER
    if user.role == "agency" and user.organization_id == referral.agency_organization_id:
        return states.AGENCY
    return None


def can_see(user, referral: Referral) -> bool:
    if policy.can_see_care_record(user, referral.care_organization_id):
        return True
    # Agencies never see drafts: nothing was sent to them yet.
    return referral.status != "draft" and policy.can_see_agency_record(
        user, referral.agency_organization_id)


def get_referral(user, referral_id: str, *, audit: bool = True) -> Referral:
    policy.require_login(user)
    referral = db.session.get(Referral, referral_id)
    if referral is None or not can_see(user, referral):
        # Refused reads are audited too (ASVS 16.3.2); see matching.operations.get_client.
        record_now("referral.read", "referral", referral and referral.id, user=user,
                   outcome="refused" if referral else "not-found")
        raise NotFound("No such referral.")
    if audit:
        record_now("referral.read", "referral", referral.id, user=user)
    return referral


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
    if need not in load_needs():
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
    _event(referral, user, states.REFERRER, None, "draft", note="Referral created")
    if consent["given"]:
        _move(referral, user, states.REFERRER, "requested")
    record("referral.create", "referral", referral.id, user=user)
    db.session.commit()
    log.info("referral %s created by user %s (%s)", referral.id, user.id, referral.status)
    if referral.status == "requested":
        _notify_agency(referral, "New referral")
    return referral


def _event(referral, user, side, from_status, to_status, reason=None, note=None) -> None:
    db.session.add(ReferralEvent(referral_id=referral.id, user_id=user.id if user else None,
                                 side=side, from_status=from_status, to_status=to_status,
                                 reason=reason, note=note))


def _move(referral: Referral, user, side: str, status: str, reason=None, reason_text=None,
          outcome=None, note=None) -> None:
    before = referral.status
    referral.status = status
    now = _now()
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
    _event(referral, user, side, before, status, reason,
           note or (reason_text if reason else None))


def change_status(user, referral: Referral, data: dict) -> Referral:
    """Apply {status, reason, reason_text, outcome, version, note} with every rule."""
    if not isinstance(data, dict):
        raise BadParameter("Send a JSON object.", "body")
    side = side_of(user, referral)
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
    _commit(referral)
    log.info("referral %s now %s (user %s)", referral.id, status, user.id)
    if side == states.AGENCY:
        _notify_referrer(referral, f"Referral {status}")
    elif status == "requested":
        _notify_agency(referral, "New referral")
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
    if side_of(user, referral) != states.REFERRER or referral.status != "draft":
        raise Forbidden("Consent is recorded by the referring organization on a draft.")
    if version is not None:
        _check_version(referral, version)
    consent = _consent(data)
    referral.consent.given = consent["given"]
    referral.consent.method, referral.consent.scope = consent.get("method"), _text(consent,
                                                                                   "scope")
    referral.consent.contact = consent.get("contact") is True
    referral.consent.recorded_by, referral.consent.recorded_at = user.id, _now()
    _event(referral, user, states.REFERRER, None, None, note="Consent recorded")
    record("referral.consent", "referral", referral.id, user=user)
    _commit(referral)
    return referral


def send_draft(user, referral: Referral, consent_data, version: int | None) -> Referral:
    """Record consent on a draft and request it from the agency, in one transaction."""
    if side_of(user, referral) != states.REFERRER or referral.status != "draft":
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
    referral.consent.recorded_by, referral.consent.recorded_at = user.id, _now()
    _event(referral, user, states.REFERRER, None, None, note="Consent recorded")
    _move(referral, user, states.REFERRER, "requested")
    record("referral.consent", "referral", referral.id, user=user)
    record("referral.status", "referral", referral.id, user=user)
    _commit()
    log.info("referral %s sent by user %s", referral.id, user.id)
    _notify_agency(referral, "New referral")
    return referral


def add_note(user, referral: Referral, note: str | None) -> None:
    side = side_of(user, referral)
    if side is None:
        raise Forbidden("Only the two sides of a referral may add notes.")
    text = _text({"note": note}, "note")
    if not text:
        raise BadParameter("Write a note.", "note")
    _event(referral, user, side, None, None, note=text)
    record("referral.note", "referral", referral.id, user=user)
    _commit(referral)


def _commit(referral: Referral | None = None) -> None:
    try:
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise Conflict("This referral was changed by someone else at the same moment. "
                       "Review it and try again.",
                       version=referral.version if referral is not None else None) from None


def add_business_days(start: datetime, days: int) -> datetime:
    moment = start
    while days > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment


def due(referral: Referral) -> datetime | None:
    """When the next step is due: the agency's answer (RESPOND_WITHIN_BUSINESS_DAYS after
    sending), then closing (CLOSE_WITHIN_DAYS after sending); None for drafts and closed."""
    cfg = current_app.config
    requested = _aware(referral.requested_at)
    if requested is None or referral.status in states.TERMINAL:
        return None
    if referral.status == "requested":
        return add_business_days(requested, cfg["RESDIR_RESPOND_WITHIN_BUSINESS_DAYS"])
    return requested + timedelta(days=cfg["RESDIR_CLOSE_WITHIN_DAYS"])


def overdue(referral: Referral, now: datetime | None = None) -> bool:
    """Not answered within RESPOND_WITHIN_BUSINESS_DAYS, or open past CLOSE_WITHIN_DAYS."""
    deadline = due(referral)
    return deadline is not None and (now or _now()) > deadline


def visible(user, status=None, need=None, overdue_only=False, agency=None,
            client=None) -> list[Referral]:
    policy.require_login(user)
    query = select(Referral)
    if user.role == "coordinator":
        query = query.where(Referral.care_organization_id == user.care_organization_id)
    elif user.role == "agency":
        query = query.where(Referral.agency_organization_id == user.organization_id,
                            Referral.status != "draft")
    elif user.role != "admin":
        return []
    if status:
        query = query.where(Referral.status == status)
    if need:
        query = query.where(Referral.need_code == need)
    if client:
        query = query.where(Referral.client_id == client)
    if agency:  # words of the agency's name, as a person types them
        query = query.where(Referral.agency_organization_id.in_(
            select(dm.Organization.id).where(
                func.lower(dm.Organization.name).contains(agency.strip().lower(),
                                                          autoescape=True))))
    found = list(db.session.scalars(query.order_by(Referral.created_at.desc()).limit(500)))
    if overdue_only:
        found = [r for r in found if overdue(r)]
    # Overdue first, then newest (the agency inbox order).
    found.sort(key=lambda r: (not overdue(r), -(_aware(r.created_at).timestamp())))
    record_now("referral.list", None, None, user=user)
    return found


def _agency_emails(referral: Referral) -> list[str]:
    return list(db.session.scalars(select(User.email).where(
        User.organization_id == referral.agency_organization_id, User.active.is_(True))))


def _notify_agency(referral: Referral, subject: str) -> None:
    client = db.session.get(clients.Client, referral.client_id)
    notify.send(_agency_emails(referral), f"resdir: {subject}",
                f"{subject} for {notify.initial(client)}.\n\nOpen it (sign-in needed): "
                f"{notify.link(referral.id)}\n", referral.id)


def _notify_referrer(referral: Referral, subject: str) -> None:
    referrer = db.session.get(User, referral.referrer_id)
    client = db.session.get(clients.Client, referral.client_id)
    notify.send([referrer.email] if referrer and referrer.active else [], f"resdir: {subject}",
                f"{subject} for {notify.initial(client)}.\n\nOpen it (sign-in needed): "
                f"{notify.link(referral.id)}\n", referral.id)


def send_reminders(today: date | None = None, most: int | None = None) -> int:
    """E-mail agencies about overdue referrals; at most once per referral and day (the
    reminder row is committed before the mail goes, so two runs never both send).
    `most` bounds the mails of one run (`resdir worker` sends the rest on its next tick)."""
    now = _now()
    today = today or now.date()
    sent = 0
    reminded = select(Reminder.id).where(Reminder.referral_id == Referral.id,
                                         Reminder.day == today).exists()
    for referral in db.session.scalars(select(Referral).where(
            Referral.status.in_(states.OPEN), Referral.status != "draft", ~reminded)):
        if most is not None and sent >= most:
            break
        if not overdue(referral, now):
            continue
        db.session.add(Reminder(referral_id=referral.id, day=today))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # already reminded today (maybe by another run)
            continue
        _notify_agency(referral, "Overdue referral reminder")
        sent += 1
    return sent


def shared_client(referral: Referral, user) -> dict:
    """What the agency may know of the client: the minimum to reach and serve them."""
    client = db.session.get(clients.Client, referral.client_id)
    facts = client.facts or {}
    shared = {"name": client.name, "age": facts.get("age"), "zip": facts.get("zip"),
              "languages": facts.get("languages")}
    contact = contact_shared(referral, client)  # only when consent covers contact
    if contact:
        shared["contact"] = contact
    if side_of(user, referral) == states.REFERRER or (user and user.role == "admin"):
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
                    "recorded_at": _aware(consent.recorded_at).isoformat()} if consent else None,
        "reason": referral.status_reason,
        "reason_text": referral.reason_text,
        "outcome": {"enrollment": referral.outcome_enrollment,
                    "provided": referral.outcome_provided}
        if referral.outcome_enrollment or referral.outcome_provided
        else None,
        "created_at": _aware(referral.created_at).isoformat(),
        "requested_at": _iso(referral.requested_at),
        "responded_at": _iso(referral.responded_at),
        "closed_at": _iso(referral.closed_at),
        "overdue": overdue(referral),
        "next": states.next_statuses(referral.status, side_of(user, referral) or ""),
        "timeline": [{"at": _aware(e.at).isoformat(), "user_id": e.user_id, "side": e.side,
                      "from": e.from_status, "to": e.to_status, "reason": e.reason,
                      "note": e.note} for e in referral.events],
    }


def _iso(moment: datetime | None) -> str | None:
    return _aware(moment).isoformat() if moment else None


def list_rows(user, found: list[Referral]) -> list[dict]:
    """What a referral list shows of each: the client as this side may see them, the
    program, both organizations, the referring person, when the next step is due."""
    from resdir.auth.models import CareOrganization

    def names(model, ids, column="name"):
        ids = {i for i in ids if i}
        return {row.id: getattr(row, column) for row in db.session.scalars(
            select(model).where(model.id.in_(ids)))} if ids else {}

    services = names(dm.Service, {r.service_id for r in found})
    agencies = names(dm.Organization, {r.agency_organization_id for r in found})
    cares = names(CareOrganization, {r.care_organization_id for r in found})
    people = names(User, {r.referrer_id for r in found}, "email")
    clients_by_id = names(clients.Client, {r.client_id for r in found})
    return [{"referral": r, "client": clients_by_id.get(r.client_id) or "Unnamed client",
             "client_id": r.client_id if side_of(user, r) != states.AGENCY else None,
             "service": services.get(r.service_id, ""),
             "agency": agencies.get(r.agency_organization_id, ""),
             "referred_by": cares.get(r.care_organization_id, ""),
             "referrer": people.get(r.referrer_id, ""), "due": due(r),
             "overdue": overdue(r), "changed": _aware(r.updated_at or r.created_at)}
            for r in found]
