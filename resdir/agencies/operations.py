"""Changes agencies make to their listings."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from resdir import mail
from resdir.agencies import patch
from resdir.agencies.listing import EDITABLE, cell_text, listing_form, normalize
from resdir.agencies.models import ChangeRecord, Suggestion, VerificationRequest
from resdir.audit.operations import record, save_new
from resdir.auth import policy
from resdir.auth.models import User
from resdir.directory import indexing
from resdir.directory import models as m
from resdir.errors import BadParameter, Conflict, NotFound
from resdir.extensions import db

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


def _expected_version(version) -> int:
    if isinstance(version, bool):
        version = None
    try:
        return int(version)
    except (TypeError, ValueError):
        raise BadParameter("version is required: the version you last read.",
                           "version") from None


def stale(service: m.Service) -> Conflict:
    """The 409 for a listing someone else saved first, carrying its current version."""
    return Conflict(f"Someone else saved this listing while you were editing it (it is now "
                    f"version {service.version}). Check the current values and save again.",
                    version=service.version)


def _commit_listing(service: m.Service) -> None:
    """Commit (and index). The UPDATE of the service row checks and bumps its version in one
    statement (version_id_col; resdir.versioning makes child-row changes bump it too), so a
    writer that read the same version and committed first turns this one into a 409."""
    try:
        indexing.commit()
    except StaleDataError:
        db.session.rollback()
        raise stale(service) from None


def update_capacity(user, service: m.Service, status, available, maximum, version) -> None:
    """The capacity form (and a capacity-only PATCH): a listing save of those fields; None
    means the field was not sent and stays as it is."""
    sent = {"capacity_status": status, "capacity_available": available,
            "capacity_maximum": maximum}
    save_listing(user, service, {k: cell_text(k, v) for k, v in sent.items() if v is not None},
                 version)


def changed_fields(service: m.Service, submitted: dict[str, str]) -> dict[str, str]:
    """The fields whose text differs from the listing's current text (normalized)."""
    unknown = set(submitted) - set(EDITABLE)
    if unknown:
        field = sorted(unknown)[0]
        raise BadParameter(f"{field[:60]!r} cannot be changed here.", field[:60])
    before = listing_form(service)
    return {k: normalize(v) for k, v in submitted.items() if normalize(v) != normalize(before[k])}


def save_listing(user, service: m.Service, submitted: dict[str, str], version,
                 reverts: int | None = None) -> list:
    """Save the fields of `submitted` whose text differs from the listing's current text,
    each checked with the directory CSV's rule for its cell and applied alone (see
    resdir.agencies.patch); fields not sent, or sent unchanged, are not touched. Every
    changed field is recorded in the listing's history. Conflict if `version` is stale."""
    expected = _expected_version(version)
    if service.version != expected:
        raise stale(service)
    before = listing_form(service)
    changed = changed_fields(service, submitted)
    values = patch.check(service, changed)
    # A change of text that means the same (" en; es " for "en;es") is no change.
    for field in list(values):
        try:
            same = patch.check(service, {field: before[field]}).get(field) == values[field]
        except BadParameter:
            same = False  # the stored value does not pass today's rules: a real change
        if same:
            del values[field]
    patch.apply(service, values)
    records = [
        ChangeRecord(resource_id=service.id, field_name=name, previous_value=before[name],
                     replacement_value=changed[name], updated_by=user.id, reverts=reverts)
        for name in EDITABLE if name in values
    ]
    db.session.add_all(records)
    if records:
        capacity_only = values.keys() <= {"capacity_status", "capacity_available",
                                          "capacity_maximum"}
        record("service.update_capacity" if capacity_only else "service.update", "service",
               service.id, user=user)
    _commit_listing(service)
    log.info("service %s: %d field(s) changed by user %s", service.id, len(records), user.id)
    return records


def confirm_listing(user, service: m.Service) -> None:
    """"This listing is correct": set the verification date (and who) in one click."""
    service.assured_date = date.today()
    service.assurer_email = user.email
    record("service.confirm", "service", service.id, user=user)
    indexing.commit()


def confirm_all_listings(user) -> int:
    """An agency confirms every listing of its organization is correct, in one step (one
    transaction). Admins confirm listings one by one: they do not run the programs."""
    policy.require_role(user, "agency")
    services = services_of(user)
    for service in services:
        service.assured_date = date.today()
        service.assurer_email = user.email
        record("service.confirm", "service", service.id, user=user)
    indexing.commit()
    return len(services)


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
    if not policy.lists_every_organization(user):
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
    save_new(found, "suggestion", user=user)
    return found


def open_suggestions(user) -> list:
    query = select(Suggestion).where(Suggestion.status == "open")
    if not policy.lists_every_organization(user):
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
                + mail.url("/agency/") + "\n")
        mail.send(emails, "resdir: please verify your listings", body, org_id)
        sent += 1
    return sent
