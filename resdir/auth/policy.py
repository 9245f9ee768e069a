"""Who may see or change what. Views and API ask here; they never decide for themselves.

Every rule takes the acting user (None when anonymous) and the object. A denied read of an
object raises NotFound, so guessing another organization's ids tells nothing; a denied
action the user can see raises Forbidden.
"""

from __future__ import annotations

from resdir.errors import Forbidden, NotFound, Unauthorized


def is_admin(user) -> bool:
    return user is not None and user.active and user.role == "admin"


def require_login(user) -> None:
    if user is None:
        raise Unauthorized("Please sign in.")


def require_role(user, *roles: str) -> None:
    require_login(user)
    if user.role not in roles:
        raise Forbidden("Your role does not allow this.")


def can_read_directory(user) -> bool:
    return True  # the public directory is open to everyone


def can_edit_service(user, service) -> bool:
    """Admins edit every listing; agency staff only their own organization's."""
    if user is None or not user.active:
        return False
    if user.role == "admin":
        return True
    return user.role == "agency" and service.organization_id == user.organization_id


def require_edit_service(user, service) -> None:
    require_login(user)
    if not can_edit_service(user, service):
        raise NotFound(f"No program has the id {service.id!r}.")


def can_see_care_record(user, care_organization_id: str | None) -> bool:
    """Client data (clients, screenings, referrals) of a care organization."""
    if user is None or not user.active:
        return False
    if user.role == "admin":
        return True
    return user.role == "coordinator" and user.care_organization_id == care_organization_id


def can_see_agency_record(user, organization_id: str | None) -> bool:
    """Records addressed to a partner agency (e.g. referrals it receives)."""
    if user is None or not user.active:
        return False
    if user.role == "admin":
        return True
    return user.role == "agency" and user.organization_id == organization_id


def require_admin(user) -> None:
    require_login(user)
    if not is_admin(user):
        raise Forbidden("Only administrators may do this.")


def require_curate_directory(user) -> None:
    """The whole directory (every organization, merges, links of staff): admins only."""
    require_admin(user)
