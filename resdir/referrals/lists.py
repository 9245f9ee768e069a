"""The referrals a user may list: their side's (policy.referral_scope), filtered, overdue
first; every list is audited."""

from __future__ import annotations

from sqlalchemy import func, select

from resdir.audit.operations import record_now
from resdir.auth import policy
from resdir.basics import aware
from resdir.directory import models as dm
from resdir.extensions import db
from resdir.referrals.deadlines import overdue
from resdir.referrals.models import Referral


def visible(user, status=None, need=None, overdue_only=False, agency=None,
            client=None) -> list[Referral]:
    policy.require_login(user)
    query = scoped(select(Referral), policy.referral_scope(user))
    if query is None:
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
    found.sort(key=lambda r: (not overdue(r), -(aware(r.created_at).timestamp())))
    record_now("referral.list", None, None, user=user)
    return found


def scoped(query, scope: dict | None):
    """`query` cut to a scope from policy.referral_scope (None: the user may list none)."""
    if scope is None:
        return None
    for key, value in scope.items():
        query = query.where(getattr(Referral, key) == value)
    if policy.sent_only(scope):
        query = query.where(Referral.requested_at.is_not(None), Referral.status != "draft")
    return query


