"""Merging two records of the same organization: what a merge would move (shown to the
admin first), and the merge itself in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm.exc import StaleDataError

from resdir.agencies.models import ChangeRecord, VerificationRequest
from resdir.audit.operations import record
from resdir.auth import policy
from resdir.auth.models import User
from resdir.directory import indexing
from resdir.directory import models as m
from resdir.errors import BadParameter, Conflict, NotFound
from resdir.extensions import db
from resdir.referrals.models import Referral

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MergePlan:
    """What a merge of `duplicate` into `survivor` moves (shown before the admin confirms)."""

    survivor: m.Organization
    duplicate: m.Organization
    programs: int
    locations: int
    people: int
    referrals: int


def plan_merge(user, survivor: m.Organization, duplicate: m.Organization) -> MergePlan:
    policy.require_admin(user)
    if survivor.id == duplicate.id:
        raise BadParameter("duplicate: an organization cannot be merged into itself.",
                           "duplicate")

    def count(column):
        return db.session.scalar(select(func.count()).where(column == duplicate.id))

    return MergePlan(survivor, duplicate, count(m.Service.organization_id),
                     count(m.Location.organization_id), count(User.organization_id),
                     count(Referral.agency_organization_id))


def merge(user, survivor_id: str, duplicate_id: str) -> MergePlan:
    """Merge the duplicate organization into the survivor, in one transaction: its programs,
    locations (with their addresses), phones, contacts, people and referrals move to the
    survivor, then the duplicate is removed. Every moved program's history gets an
    "organization" change, the survivor's history a "merged" one, and the audit log both
    organizations; the change log re-indexes the moved programs. A program edited by
    someone else meanwhile makes the whole merge a Conflict (nothing is applied)."""
    policy.require_admin(user)
    # Lock both rows (PostgreSQL): a second merge of the same pair waits, then finds the
    # duplicate gone. SQLite takes one writer at a time anyway.
    locked = {o.id: o for o in db.session.scalars(
        select(m.Organization).where(m.Organization.id.in_([survivor_id, duplicate_id]))
        .with_for_update())}
    survivor, duplicate = locked.get(survivor_id), locked.get(duplicate_id)
    if survivor is None:
        raise NotFound(f"No organization has the id {survivor_id[:40]!r}.")
    if duplicate is None:
        raise BadParameter("duplicate: that organization no longer exists (merged or "
                           "removed meanwhile).", "duplicate")
    plan = plan_merge(user, survivor, duplicate)
    try:
        _move_all(user, survivor, duplicate)
        indexing.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict("A program of these organizations changed while merging; nothing was "
                       "merged. Try again.") from None
    log.info("organization %s merged into %s by user %s (%d programs)", duplicate_id,
             survivor_id, user.id, plan.programs)
    return plan


def _move_all(user, survivor: m.Organization, duplicate: m.Organization) -> None:
    duplicate_id = duplicate.id
    for service in list(duplicate.services):
        service.organization = survivor
        db.session.add(ChangeRecord(resource_id=service.id, field_name="organization",
                                    previous_value=duplicate.name,
                                    replacement_value=survivor.name, updated_by=user.id))
    for location in list(duplicate.locations):
        location.organization = survivor
    for model, column in ((m.Phone, m.Phone.organization_id),
                          (m.Contact, m.Contact.organization_id),
                          (Referral, Referral.agency_organization_id)):
        db.session.execute(update(model).where(column == duplicate.id)
                           .values({column.key: survivor.id}).execution_options(
                               synchronize_session="fetch"))
    for person in db.session.scalars(select(User).where(User.organization_id == duplicate.id)):
        person.organization = survivor
    _move_verification_requests(survivor, duplicate)
    db.session.execute(update(ChangeRecord).where(
        ChangeRecord.resource_type == "organization", ChangeRecord.resource_id == duplicate.id)
        .values(resource_id=survivor.id))
    db.session.add(ChangeRecord(
        resource_type="organization", resource_id=survivor.id, field_name="merged",
        previous_value=f"{duplicate.name} (id {duplicate.id}"
        f"{', source key ' + duplicate.source_key if duplicate.source_key else ''})",
        replacement_value=survivor.name, updated_by=user.id))
    key = duplicate.source_key
    db.session.delete(duplicate)
    if key and not survivor.source_key:
        db.session.flush()  # the unique key leaves with the duplicate's row first
        survivor.source_key = key  # a re-import of the duplicate's file updates the survivor
    record("organization.merge", "organization", survivor.id, user=user)
    record("organization.merged_away", "organization", duplicate_id, user=user)


def _move_verification_requests(survivor, duplicate) -> None:
    """Weekly "please verify" markers move, except for weeks the survivor already has."""
    have = set(db.session.scalars(select(VerificationRequest.week).where(
        VerificationRequest.organization_id == survivor.id)))
    for row in db.session.scalars(select(VerificationRequest).where(
            VerificationRequest.organization_id == duplicate.id)):
        if row.week in have:
            db.session.delete(row)
        else:
            row.organization_id = survivor.id
