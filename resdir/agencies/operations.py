"""Changes agencies make to their listings."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from resdir.agencies.listing import EDITABLE, listing_form
from resdir.agencies.models import ChangeRecord, Suggestion, VerificationRequest
from resdir.audit.operations import record
from resdir.auth import policy
from resdir.auth.models import User
from resdir.directory import indexing
from resdir.directory import models as m
from resdir.directory.csvimport import CsvImportError, check_row
from resdir.directory.operations import (
    apply_location_row,
    apply_service_row,
    category_slugs,
    ensure_categories,
)
from resdir.errors import BadParameter, Conflict, NotFound
from resdir.extensions import db
from resdir.referrals import notify

log = logging.getLogger(__name__)


def editable_service(user, service_id: str) -> m.Service:
    """The program, if the user may edit it; NotFound otherwise (no hint it exists)."""
    service = db.session.get(m.Service, service_id)
    if service is None:
        raise NotFound(f"No program has the id {service_id!r}.")
    policy.require_edit_service(user, service)
    return service


def services_of(user) -> list[m.Service]:
    """The programs this agency user (or, for an admin, nobody in particular) keeps."""
    if user.organization_id is None:
        return []
    return list(db.session.scalars(
        select(m.Service).where(m.Service.organization_id == user.organization_id)
        .order_by(m.Service.name)))


def _count(value, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadParameter(f"{field} must be a whole number.", field) from None
    if not 0 <= number <= 100000:
        raise BadParameter(f"{field} must be between 0 and 100000.", field)
    return number


def _commit_listing() -> None:
    """Commit (and index); a concurrent write to the same listing makes this one a 409."""
    try:
        indexing.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict("This listing was changed by someone else at the same moment. "
                       "Review it and try again.") from None


def update_capacity(user, service: m.Service, status, available, maximum, version) -> None:
    """Set capacity; refuse with Conflict if the listing changed since `version` was read."""
    if status not in (*m.CAPACITY_STATUSES, None, ""):
        raise BadParameter("capacity_status must be one of: "
                           + ", ".join(m.CAPACITY_STATUSES) + ".", "capacity_status")
    try:
        expected = int(version)
    except (TypeError, ValueError):
        raise BadParameter("version is required: the version you last read.",
                           "version") from None
    available = _count(available, "capacity_available")
    maximum = _count(maximum, "capacity_maximum")
    if available is not None and maximum is not None and available > maximum:
        raise BadParameter("capacity_available cannot exceed capacity_maximum.",
                           "capacity_available")
    if service.version != expected:
        raise Conflict(f"This listing was changed by someone else (now version "
                       f"{service.version}). Review it and try again.")
    service.capacity_status = status or None
    service.capacity_available = available
    service.capacity_maximum = maximum
    service.capacity_updated = datetime.now(UTC)
    record("service.update_capacity", "service", service.id, user=user)
    _commit_listing()
    log.info("service %s capacity set by user %s", service.id, user.id)


def save_listing(user, service: m.Service, changes: dict[str, str], version,
                 reverts: int | None = None) -> list:
    """Apply form changes to a listing with the directory CSV's checks; record each changed
    field (old and new value) in the listing's history. Conflict if `version` is stale."""

    try:
        expected = int(version)
    except (TypeError, ValueError):
        raise BadParameter("version is required: the version you last read.",
                           "version") from None
    if service.version != expected:
        raise Conflict(f"This listing was changed by someone else (now version "
                       f"{service.version}). Review it and try again.")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise BadParameter(f"{sorted(unknown)[0]!r} cannot be changed here.", sorted(unknown)[0])
    before = listing_form(service)
    after = {**before, **{k: (v or "").strip() for k, v in changes.items()}}
    try:
        values = check_row(after, category_slugs())
    except CsvImportError as exc:
        problem = exc.problems[0]
        raise BadParameter(f"{problem.column}: {problem.reason}", problem.column) from None
    values["timezone"] = service.locations[0].timezone if service.locations else None
    terms = ensure_categories()
    loc = service.locations[0] if service.locations else None
    if loc is not None and loc.organization_id == service.organization_id:
        apply_location_row(loc, service.organization, values)
    apply_service_row(service, service.organization, loc, values, terms)
    records = [
        ChangeRecord(resource_id=service.id, field_name=name, previous_value=before[name],
                     replacement_value=after[name], updated_by=user.id, reverts=reverts)
        for name in EDITABLE if before[name] != after[name]
    ]
    db.session.add_all(records)
    if records:
        record("service.update", "service", service.id, user=user)
    _commit_listing()
    log.info("service %s: %d field(s) changed by user %s", service.id, len(records), user.id)
    return records


def confirm_listing(user, service: m.Service) -> None:
    """"This listing is correct": set the verification date (and who) in one click."""
    service.assured_date = date.today()
    service.assurer_email = user.email
    record("service.confirm", "service", service.id, user=user)
    indexing.commit()


def history(user, service: m.Service) -> list:

    policy.require_edit_service(user, service)
    return list(db.session.scalars(select(ChangeRecord).where(
        ChangeRecord.resource_id == service.id).order_by(ChangeRecord.id.desc())))


def revert(user, change_id: int) -> None:
    """Admins put one field back to its value before the change (a new change itself)."""

    policy.require_admin(user)
    change = db.session.get(ChangeRecord, change_id)
    if change is None:
        raise NotFound("No such change.")
    service = db.session.get(m.Service, change.resource_id)
    if service is None:
        raise NotFound("The program of this change no longer exists.")
    save_listing(user, service, {change.field_name: change.previous_value or ""},
                 service.version, reverts=change.id)


def stale_services(user, days: int) -> list[m.Service]:
    """Active listings not verified for `days` days: the agency's own, or all for admins."""
    limit = date.today() - timedelta(days=days)
    query = select(m.Service).where(
        m.Service.status == "active",
        (m.Service.assured_date.is_(None)) | (m.Service.assured_date < limit))
    if user.role != "admin":
        query = query.where(m.Service.organization_id == user.organization_id)
    return list(db.session.scalars(query.order_by(m.Service.assured_date.nullsfirst())))


def suggest(user, service: m.Service, kind: str, text: str | None):
    policy.require_login(user)
    if kind not in ("edit", "problem"):
        raise BadParameter("kind must be edit or problem.", "kind")
    text = (text or "").strip()
    if not text or len(text) > 2000:
        raise BadParameter("Say what should change (at most 2000 characters).", "text")
    found = Suggestion(service_id=service.id, kind=kind, text=text, created_by=user.id)
    db.session.add(found)
    db.session.flush()
    record("suggestion.create", "suggestion", found.id, user=user)
    db.session.commit()
    return found


def open_suggestions(user) -> list:
    query = select(Suggestion).where(Suggestion.status == "open")
    if user.role != "admin":
        query = query.join(m.Service, m.Service.id == Suggestion.service_id).where(
            m.Service.organization_id == user.organization_id)
    return list(db.session.scalars(query.order_by(Suggestion.created_at)))


def handle_suggestion(user, suggestion_id: str, accept: bool) -> None:
    found = db.session.get(Suggestion, suggestion_id)
    if found is None:
        raise NotFound("No such suggestion.")
    editable_service(user, found.service_id)
    found.status = "accepted" if accept else "dismissed"
    found.handled_by, found.handled_at = user.id, datetime.now(UTC)
    record("suggestion." + found.status, "suggestion", found.id, user=user)
    db.session.commit()


def send_verification_requests(days: int, most: int | None = None) -> int:
    """E-mail each agency with stale active listings; once per organization and ISO week
    (the request row is committed before the mail goes, so two runs never both send).
    `most` bounds the mails of one run (`resdir worker` sends the rest on its next tick)."""

    year, week, _ = date.today().isocalendar()
    label = f"{year}-W{week:02d}"
    limit = date.today() - timedelta(days=days)
    stale = db.session.execute(select(m.Service.organization_id, m.Service.name).where(
        m.Service.status == "active",
        (m.Service.assured_date.is_(None)) | (m.Service.assured_date < limit))).all()
    by_org: dict[str, list[str]] = {}
    for org_id, name in stale:
        by_org.setdefault(org_id, []).append(name)
    sent = 0
    asked = set(db.session.scalars(select(VerificationRequest.organization_id).where(
        VerificationRequest.week == label)))
    for org_id, names in sorted(by_org.items()):
        if org_id in asked:
            continue
        if most is not None and sent >= most:
            break
        emails = list(db.session.scalars(select(User.email).where(
            User.organization_id == org_id, User.active.is_(True))))
        if not emails:
            continue
        db.session.add(VerificationRequest(organization_id=org_id, week=label))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        body = ('Please check that these listings are still correct, then press "Confirm '
                'this listing is correct" (or edit them):\n\n'
                + "\n".join(f"- {n}" for n in sorted(names)) + "\n\n"
                + notify.url("/agency/") + "\n")
        notify.send(emails, "resdir: please verify your listings", body, org_id)
        sent += 1
    return sent
