"""Who may see or change what. Views and API ask here; they never decide for themselves.

Every rule takes the acting user (None when anonymous) and the object. A denied read of an
object raises NotFound, so guessing another organization's ids tells nothing; a denied
action the user can see raises Forbidden.
"""

from __future__ import annotations

from resdir.errors import Forbidden, NotFound, Unauthorized

# The two sides of a referral (resdir.referrals.states uses these names).
REFERRER, AGENCY = "referrer", "agency"


def is_admin(user) -> bool:
    return _active(user, "admin")


def is_coordinator(user) -> bool:
    return _active(user, "coordinator")


def is_agency_staff(user) -> bool:
    return _active(user, "agency")


def _active(user, role: str) -> bool:
    return user is not None and user.active and user.role == role


def needs_second_factor(user) -> bool:
    """Admins always sign in with a second factor; others once they have enrolled one."""
    return user.role == "admin" or bool(user.totp_secret)


def require_login(user) -> None:
    if user is None:
        raise Unauthorized("Please sign in.")


def require_role(user, *roles: str) -> None:
    require_login(user)
    if user.role not in roles:
        raise Forbidden("Your role does not allow this.")


def can_edit_service(user, service) -> bool:
    """Admins edit every listing; agency staff only their own organization's."""
    return is_admin(user) or (is_agency_staff(user)
                              and service.organization_id == user.organization_id)


def require_edit_service(user, service) -> None:
    require_login(user)
    if not can_edit_service(user, service):
        raise NotFound(f"No program has the id {service.id!r}.")


def can_see_care_record(user, care_organization_id: str | None) -> bool:
    """Client data (clients, screenings, referrals) of a care organization."""
    return is_admin(user) or (is_coordinator(user)
                              and user.care_organization_id == care_organization_id)


def can_see_client(user, client) -> bool:
    return can_see_care_record(user, client.care_organization_id)


def can_see_agency_record(user, organization_id: str | None) -> bool:
    """Records addressed to a partner agency (e.g. referrals it receives)."""
    return is_admin(user) or (is_agency_staff(user) and user.organization_id == organization_id)


def can_see_import_job(user, job) -> bool:
    """An upload's import job: admins see all; others their own uploads and their
    agency's."""
    if user is None or not user.active:
        return False
    return is_admin(user) or job.created_by == user.id or (
        is_agency_staff(user) and job.organization_id is not None
        and user.organization_id == job.organization_id)


def require_admin(user) -> None:
    require_login(user)
    if not is_admin(user):
        raise Forbidden("Only administrators may do this.")


def lists_every_organization(user) -> bool:
    """Admins' lists (stale listings, suggestions, clients) cover every organization; anyone
    else's only their own organization's (an agency's, or a coordinator's care
    organization)."""
    return is_admin(user)


def chooses_care_organization(user) -> bool:
    """Admins belong to no care organization, so they name the one a new client joins."""
    return is_admin(user)


def can_list_clients(user) -> bool:
    return is_coordinator(user) or is_admin(user)


# Referrals: the referring care organization and the receiving agency are its two sides.
# An agency learns of a referral when it is sent: drafts, and drafts cancelled before they
# were sent, are the referring side's own business.

def referral_side(user, referral) -> str | None:
    """REFERRER or AGENCY when the user acts for one side of the referral, else None."""
    if is_coordinator(user) and user.care_organization_id == referral.care_organization_id:
        return REFERRER
    if is_agency_staff(user) and user.organization_id == referral.agency_organization_id:
        return AGENCY
    return None


def can_see_referral(user, referral) -> bool:
    if can_see_care_record(user, referral.care_organization_id):
        return True
    return was_sent(referral) and can_see_agency_record(user, referral.agency_organization_id)


def was_sent(referral) -> bool:
    """Sent to the agency: it left draft (requested_at is set) and is not a draft now."""
    return referral.requested_at is not None and referral.status != "draft"


def referral_scope(user) -> dict | None:
    """The referrals a user's lists, searches and reports cover, as column values:
    {"care_organization_id"} for a coordinator, {"agency_organization_id"} for agency
    staff (sent referrals only: apply `sent_only`), {} for an admin (all); None when the
    user may list none."""
    if is_coordinator(user):
        return {"care_organization_id": user.care_organization_id}
    if is_agency_staff(user):
        return {"agency_organization_id": user.organization_id}
    if is_admin(user):
        return {}
    return None


def sent_only(scope: dict) -> bool:
    """Whether a scope from `referral_scope` leaves out referrals never sent (an agency's)."""
    return "agency_organization_id" in scope and "care_organization_id" not in scope


def knows_client_identity(user, referral) -> bool:
    """The client's record id (a link to the whole record) is for the referring side and
    admins; the agency gets the minimum needed to serve the client."""
    return referral_side(user, referral) == REFERRER or is_admin(user)


def require_handout(user, referral) -> None:
    """The client's hand-out is printed by the referring organization (or an admin)."""
    if not knows_client_identity(user, referral):
        raise Forbidden("The hand-out is printed by the referring organization.")


def can_see_care_organization(user, care_organization_id: str, sent_to_agency) -> bool:
    """A care organization's record: its own people and admins; agency staff when
    `sent_to_agency(organization_id)` says it sent their agency a referral."""
    if can_see_care_record(user, care_organization_id):
        return True
    return is_agency_staff(user) and bool(sent_to_agency(user.organization_id))


def require_curate_directory(user) -> None:
    """The whole directory (every organization, merges, links of staff): admins only."""
    require_admin(user)
