"""Changes agencies make to their listings."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from resdir.audit.operations import record
from resdir.auth import policy
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
    try:
        indexing.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict("This listing was changed by someone else at the same moment. "
                       "Review it and try again.") from None
    log.info("service %s capacity set by user %s", service.id, user.id)
