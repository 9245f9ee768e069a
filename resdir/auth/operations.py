"""Accounts: create, sign in, second factor, tokens, roles, deactivation.

Each function that changes something records an audit event in the same transaction and
commits it; callers pass ids, and log lines carry ids only.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pyotp
from flask import current_app, g
from sqlalchemy import func, select, update

from resdir.audit.operations import record, save_new
from resdir.auth import sessions
from resdir.auth.models import ROLES, ApiToken, CareOrganization, User
from resdir.auth.secrets import (
    hash_password,
    new_token,
    password_problem,
    token_hash,
    verify_password,
)
from resdir.basics import aware, utcnow
from resdir.directory.models import Organization
from resdir.errors import BadParameter, NotFound, ResdirError
from resdir.extensions import db

log = logging.getLogger(__name__)


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 320 or " " in email:
        raise BadParameter(f"{email[:80]!r} is not an e-mail address.", "email")
    return email


def _find_organization(role: str, ref: str | None):
    """(care_organization, directory organization) for a role and an id or name."""
    ref = (ref or "").strip()
    if role == "admin":
        if ref:
            raise BadParameter("Administrators belong to no organization.", "organization")
        return None, None
    if not ref:
        who = {"coordinator": "A coordinator", "agency": "An agency user"}.get(role, "This role")
        raise BadParameter(f"{who} needs an organization (its id or exact name).",
                           "organization")
    if role == "coordinator":
        found = db.session.scalar(select(CareOrganization).where(
            (CareOrganization.id == ref) | (func.lower(CareOrganization.name) == ref.lower())))
        if found is None:
            found = CareOrganization(name=ref)
            db.session.add(found)
            db.session.flush()
            record("care_organization.create", "care_organization", found.id)
        return found, None
    found = db.session.scalar(select(Organization).where(
        (Organization.id == ref) | (func.lower(Organization.name) == ref.lower())))
    if found is None:
        raise BadParameter(f"No directory organization is called or has the id {ref!r}; agency "
                           "staff must belong to a listed organization.", "organization")
    return None, found


def create_user(email: str, role: str, organization: str | None = None,
                name: str | None = None, password: str | None = None) -> User:
    email = normalize_email(email)
    if role not in ROLES:
        raise BadParameter(f"role must be one of: {', '.join(ROLES)}.", "role")
    if db.session.scalar(select(User).where(User.email == email)) is not None:
        raise BadParameter(f"A user with the e-mail {email} already exists.", "email")
    care, org = _find_organization(role, organization)
    user = User(email=email, role=role, name=(name or email.split("@")[0]).strip()[:200],
                care_organization=care, organization=org)
    db.session.add(user)
    db.session.flush()
    if password is not None:
        _set_password(user, password)
    record("user.create", "user", user.id)
    db.session.commit()
    log.info("user %s created with role %s", user.id, role)
    return user


def _set_password(user: User, password: str) -> None:
    problem = password_problem(password, user.email)
    if problem:
        raise BadParameter(problem, "password")
    user.password_hash = hash_password(password)
    user.setup_token_hash = None
    user.setup_expires_at = None


def setup_link_token(user: User) -> str:
    """A one-time token to set a password; only its hash is stored."""
    token = new_token()
    user.setup_token_hash = token_hash(token)
    hours = current_app.config["RESDIR_SETUP_LINK_HOURS"]
    user.setup_expires_at = datetime.now(UTC) + timedelta(hours=hours)
    record("user.setup_link", "user", user.id)
    db.session.commit()
    return token


def setup_link(token: str) -> str:
    return current_app.config["RESDIR_BASE_URL"].rstrip("/") + "/set-password/" + token


def user_for_setup_token(token: str) -> User:
    user = db.session.scalar(select(User).where(User.setup_token_hash == token_hash(token)))
    expires = user.setup_expires_at if user else None
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    if user is None or not user.active or expires is None or expires < datetime.now(UTC):
        raise NotFound("This link is not valid any more. Ask an administrator for a new one.")
    return user


def set_password_with_token(token: str, password: str) -> User:
    user = user_for_setup_token(token)
    _set_password(user, password)
    sessions.revoke_all(user)  # a reset ends every other session and token
    record("user.set_password", "user", user.id, user=user)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (same time either way)."""
    try:
        email = normalize_email(email)
    except BadParameter:
        email = ""
    user = db.session.scalar(select(User).where(User.email == email)) if email else None
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        record("login", "user", user.id if user else None, user=user, outcome="refused")
        db.session.commit()
        return None
    return user


def sign_in(user: User) -> None:
    sessions.start(user)
    record("login", "user", user.id, user=user)
    db.session.commit()


class SecondFactorLocked(ResdirError, status=429, title="Too many attempts"):
    """Too many wrong codes in a row: the second step waits, whoever is asking."""


def _locked_until(user: User) -> datetime | None:
    until = aware(user.second_factor_locked_until)
    return until if until is not None and until > utcnow() else None


def _lock_message(until: datetime) -> str:
    return (f"Too many wrong codes: the second step is locked until {until:%H:%M} UTC. "
            "Sign in again after that; tell an administrator if this was not you.")


def _count_failure(user: User) -> None:
    """One more wrong code, counted in the database so every worker and machine agrees;
    enough in a row lock the second step and end the half-signed-in session."""
    cfg = current_app.config
    failures = db.session.execute(
        update(User).where(User.id == user.id)
        .values(second_factor_failures=User.second_factor_failures + 1)
        .returning(User.second_factor_failures)).scalar_one()
    record("login.second_factor", "user", user.id, user=user, outcome="refused")
    if failures < cfg["RESDIR_SECOND_FACTOR_LOCKOUT_FAILURES"]:
        db.session.commit()
        return
    until = datetime.now(UTC) + timedelta(minutes=cfg["RESDIR_SECOND_FACTOR_LOCKOUT_MINUTES"])
    db.session.execute(update(User).where(User.id == user.id).values(
        second_factor_failures=0, second_factor_locked_until=until))
    record("login.second_factor_locked", "user", user.id, user=user, outcome="refused")
    sessions.end()
    db.session.commit()
    log.warning("second factor of user %s locked after %s wrong codes", user.id, failures)
    raise SecondFactorLocked(_lock_message(until))


def pass_second_factor(user: User, code: str, secret: str | None = None) -> bool:
    """Check a TOTP code; with `secret`, enrol it first (admins must have one).

    Wrong codes against the account's own key count towards a lockout
    (RESDIR_SECOND_FACTOR_LOCKOUT_*); codes for a key being enrolled do not, since whoever
    enrols already sees that key.
    """
    enrolling = bool(secret) and secret != user.totp_secret
    until = None if enrolling else _locked_until(user)
    if until is not None:
        record("login.second_factor", "user", user.id, user=user, outcome="locked")
        db.session.commit()
        raise SecondFactorLocked(_lock_message(until))
    secret = secret or user.totp_secret
    ok = bool(secret) and pyotp.TOTP(secret).verify((code or "").strip(), valid_window=1)
    if not ok:
        if enrolling:
            record("login.second_factor", "user", user.id, user=user, outcome="refused")
            db.session.commit()
        else:
            _count_failure(user)
        return False
    if secret != user.totp_secret:
        user.totp_secret = secret
        record("user.enrol_second_factor", "user", user.id, user=user)
    user.second_factor_failures = 0
    row = g.get("session_row")
    if row is not None:
        row.second_factor_at = datetime.now(UTC)
    record("login.second_factor", "user", user.id, user=user)
    db.session.commit()
    return True


def sign_out(user) -> None:
    sessions.end()
    record("logout", "user", user.id if user else None, user=user)
    db.session.commit()


def create_api_token(user: User) -> str:
    if not user.active:
        raise ResdirError("A deactivated user cannot get a token.")
    token = new_token()
    row = ApiToken(token_hash=token_hash(token), user=user)
    save_new(row, "api_token", user=user)
    return token


def deactivate(user: User) -> None:
    """Deactivate (never delete): every session and token ends at once."""
    user.active = False
    user.deactivated_at = datetime.now(UTC)
    sessions.revoke_all(user)
    record("user.deactivate", "user", user.id)
    db.session.commit()
    log.info("user %s deactivated", user.id)


def reactivate(user: User) -> None:
    user.active = True
    user.deactivated_at = None
    record("user.reactivate", "user", user.id)
    db.session.commit()


def change_role(user: User, role: str, organization: str | None) -> None:
    if role not in ROLES:
        raise BadParameter(f"role must be one of: {', '.join(ROLES)}.", "role")
    care, org = _find_organization(role, organization)
    user.role, user.care_organization, user.organization = role, care, org
    sessions.revoke_all(user)  # new rights start with a new sign-in
    record("user.change_role", "user", user.id)
    db.session.commit()


def get_user(user_id: str) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def user_by_email(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise NotFound(f"No user has the e-mail {email}.")
    return user


def users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.role, User.email)))


def display_names(user_ids) -> dict[str, str]:
    """How people are shown in histories and lists: name and e-mail (the e-mail alone when
    the name is only the e-mail's first part, the default)."""
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    return {u.id: u.email if (u.name or "") in ("", u.email.split("@")[0])
            else f"{u.name} ({u.email})"
            for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
