"""Password hashing (argon2id) and random tokens stored only as hashes."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

MIN_PASSWORD_LENGTH = 12


@functools.cache
def _hasher(time_cost: int, memory_kib: int) -> tuple[PasswordHasher, str]:
    """An argon2id hasher for these costs, and a hash to verify against when there is no
    account: a login for an unknown e-mail then takes as long as for a known one, so timing
    does not tell whether an account exists."""
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
    return hasher, hasher.hash("resdir-timing-equaliser")


def _current() -> tuple[PasswordHasher, str]:
    config = current_app.config
    return _hasher(config["RESDIR_PASSWORD_HASH_TIME_COST"],
                   config["RESDIR_PASSWORD_HASH_MEMORY_KIB"])


def hash_password(password: str) -> str:
    return _current()[0].hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Checks with the costs stored in the hash itself, so changing the settings never locks
    anyone out."""
    hasher, dummy = _current()
    try:
        return hasher.verify(password_hash or dummy, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problem(password: str, email: str = "") -> str | None:
    """Why a new password is not acceptable (ASVS: length over composition rules)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > 256:
        return "Use at most 256 characters."
    if email and password.lower() == email.lower():
        return "The password must not be your e-mail address."
    return None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
