"""What administrators do to the directory as a whole: browse and search every organization
and program (paged in SQL), create organizations, link agency staff to one, and merge two
records of the same organization (merging.py).

Editing one listing is the agency form (resdir.agencies), which admins may use on any
program: the same field-by-field save and version check, so nothing here re-implements it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from resdir.audit.operations import record, save_new
from resdir.auth import policy, sessions
from resdir.auth.models import User
from resdir.auth.operations import normalize_email
from resdir.directory import models as m
from resdir.errors import BadParameter, NotFound
from resdir.extensions import db

log = logging.getLogger(__name__)

PER_PAGE = 50


@dataclass(frozen=True)
class Page:
    rows: list
    total: int
    page: int
    per_page: int

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _words(q: str | None) -> str:
    return " ".join((q or "").split())[:200]


def _like(column, q: str):
    """Case-insensitive "contains", with the user's % and _ taken literally."""
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def _page_number(page) -> int:
    try:
        number = int(page or 1)
    except (TypeError, ValueError):
        raise BadParameter("page must be a whole number.", "page") from None
    if not 1 <= number <= 100_000:
        raise BadParameter("page must be between 1 and 100000.", "page")
    return number


def organizations(q: str | None = None, page=1, per_page: int = PER_PAGE) -> Page:
    """Organizations in name order (those whose name contains `q`), with how many programs
    and people each has; one page, counted and sliced by the database."""
    page, q = _page_number(page), _words(q)
    where = [_like(m.Organization.name, q)] if q else []
    total = db.session.scalar(select(func.count(m.Organization.id)).where(*where))
    programs = (select(func.count(m.Service.id))
                .where(m.Service.organization_id == m.Organization.id).scalar_subquery())
    people = (select(func.count(User.id))
              .where(User.organization_id == m.Organization.id).scalar_subquery())
    rows = db.session.execute(
        select(m.Organization, programs.label("programs"), people.label("people"))
        .where(*where).order_by(m.Organization.name, m.Organization.id)
        .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(rows, total, page, per_page)


def programs(q: str | None = None, page=1, per_page: int = PER_PAGE) -> Page:
    """Programs of every organization and status in name order, searched by the program's
    or the organization's name; one page, counted and sliced by the database."""
    page, q = _page_number(page), _words(q)
    base = select(m.Service, m.Organization).join(
        m.Organization, m.Organization.id == m.Service.organization_id)
    where = [or_(_like(m.Service.name, q), _like(m.Organization.name, q))] if q else []
    total = db.session.scalar(select(func.count()).select_from(
        base.where(*where).subquery()))
    rows = db.session.execute(base.where(*where).order_by(m.Service.name, m.Service.id)
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(rows, total, page, per_page)


def get_organization(organization_id: str) -> m.Organization:
    found = db.session.get(m.Organization, organization_id)
    if found is None:
        raise NotFound(f"No organization has the id {organization_id[:40]!r}.")
    return found


def programs_of(organization: m.Organization, limit: int = 200) -> tuple[list, int]:
    """The organization's first `limit` programs in name order, and how many it has (a large
    import can give one organization thousands: the page shows a slice)."""
    total = db.session.scalar(select(func.count(m.Service.id)).where(
        m.Service.organization_id == organization.id))
    shown = list(db.session.scalars(select(m.Service).where(
        m.Service.organization_id == organization.id)
        .order_by(m.Service.name, m.Service.id).limit(limit)))
    return shown, total


def staff(organization: m.Organization) -> list[User]:
    return list(db.session.scalars(select(User).where(
        User.organization_id == organization.id).order_by(User.email)))


def likely_duplicates(organization: m.Organization, limit: int = 10) -> list[m.Organization]:
    """Other organizations whose name starts with this one's first word (a cheap, bounded
    guess an admin confirms; the merge form also takes any name or id)."""
    first = (organization.name.split() or [""])[0]
    if len(first) < 3:
        return []
    escaped = first.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return list(db.session.scalars(select(m.Organization).where(
        func.lower(m.Organization.name).like(f"{escaped}%", escape="\\"),
        m.Organization.id != organization.id).order_by(m.Organization.name).limit(limit)))


def find_organization(text: str | None, field: str = "duplicate") -> m.Organization:
    """An organization by its id or its exact name (any case); BadParameter naming `field`."""
    text = " ".join((text or "").split())
    if not text:
        raise BadParameter(f"{field}: give the organization's name or id.", field)
    found = db.session.get(m.Organization, text[:36]) if len(text) <= 36 else None
    if found is None:
        named = list(db.session.scalars(select(m.Organization).where(
            func.lower(m.Organization.name) == text.lower()).limit(2)))
        if len(named) > 1:
            raise BadParameter(f"{field}: several organizations are named {text!r}; use the "
                               "id shown on the organization's page.", field)
        found = named[0] if named else None
    if found is None:
        raise BadParameter(f"{field}: no organization is named {text[:100]!r}.", field)
    return found


def create_organization(user, name: str | None, website: str | None = None,
                        email: str | None = None, description: str | None = None
                        ) -> m.Organization:
    """A new organization (no programs yet). Refuses a name already taken (any case): that
    is how duplicates start."""
    policy.require_admin(user)
    name = " ".join((name or "").split())
    if not name:
        raise BadParameter("name: the organization needs a name.", "name")
    if len(name) > 300:
        raise BadParameter("name: at most 300 characters.", "name")
    taken = db.session.scalar(select(m.Organization.id).where(
        func.lower(m.Organization.name) == name.lower()).limit(1))
    if taken:
        raise BadParameter(f"name: an organization named {name!r} already exists.", "name")
    website = (website or "").strip() or None
    if website and not website.lower().startswith(("http://", "https://")):
        raise BadParameter("website: give a web address starting with https://.", "website")
    email = (email or "").strip() or None
    if email and ("@" not in email or len(email) > 300):
        raise BadParameter("email: give an e-mail address like info@agency.org.", "email")
    org = m.Organization(name=name, website=website, email=email,
                         description=(description or "").strip() or None)
    save_new(org, "organization", user=user)
    return org


def link_user(user, organization: m.Organization, email: str | None) -> User:
    """Make an agency user keep this organization's listings (moving them from another)."""
    policy.require_admin(user)
    email = (email or "").strip()
    if not email:
        raise BadParameter("email: give the e-mail of the person to link.", "email")
    person = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if person is None:
        raise BadParameter(f"email: nobody has the e-mail {email[:100]}. Invite them on "
                           "the People page first.", "email")
    if person.role != "agency":
        raise BadParameter(f"email: {person.email} is a {person.role}; only agency staff "
                           "keep an organization's listings (change the role on People).",
                           "email")
    if person.organization_id != organization.id:
        person.organization = organization
        sessions.revoke_all(person)  # new rights start with a new sign-in
        record("user.link_organization", "user", person.id, user=user)
        db.session.commit()
        log.info("user %s linked to organization %s by user %s", person.id, organization.id,
                 user.id)
    return person
