"""Who is asking: a bearer token (API) or a server-side session (browser).

The session cookie is Flask's signed cookie holding only a random session token; the
`user_session` row it names is what counts. Logout, deactivation and the idle timeout
revoke that row, so a copied cookie stops working at once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from resdir.auth import policy
from resdir.auth.models import ApiToken, UserSession
from resdir.auth.secrets import new_token, token_hash
from resdir.basics import aware, utcnow
from resdir.errors import Unauthorized
from resdir.extensions import db

log = logging.getLogger(__name__)
# Idle timeouts are counted in minutes, so a finer last-seen time is not worth a write.
TOUCH_EVERY = timedelta(minutes=1)
TOUCH_WAIT_MS = 200  # how long a touch waits for another writer before giving up
SQLITE_WAIT_MS = 15000  # the engine's own busy timeout (resdir/__init__.py, timeout=15)


class SessionInterface(SecureCookieSessionInterface):
    def open_session(self, app, request):
        # No cookie: the empty session Flask's own code ends with, without first building
        # its signing serializer (every anonymous request, e.g. each API search: issue 12).
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def get_cookie_secure(self, app) -> bool:
        # Secure whenever the request came over https (or the setting forces it).
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def load_user() -> None:
    """before_request: set g.user (fully signed in), g.pending (password only), g.via."""
    # The request's own g and environ, each looked up once (every proxy access costs about
    # a microsecond, and this runs before every request: issue 12).
    now = g._get_current_object()
    now.user = now.pending = now.via = now.session_row = None
    environ = request.environ
    header = environ.get("HTTP_AUTHORIZATION")  # request.headers.get("Authorization")
    if header is not None:
        _load_token(header)
        return
    if request.path.startswith(("/api/", "/fhir/", "/hsds/")):
        return  # the API knows only bearer tokens, so a cookie can never act there (CSRF)
    token = session.get("sid")
    if not token:
        return
    row = db.session.scalar(select(UserSession).where(UserSession.token_hash == token_hash(token)))
    if row is None or not _session_alive(row):
        session.clear()
        return
    _touch(UserSession, row.id, "last_seen_at", row.last_seen_at)
    g.session_row = row
    user = row.user
    if policy.needs_second_factor(user) and (row.second_factor_at is None or not user.totp_secret):
        g.pending = user
    else:
        g.user, g.via = user, "session"


def _load_token(header: str) -> None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send the API token as 'Authorization: Bearer <token>'.")
    row = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == token_hash(token.strip()))
    )
    if row is None or row.revoked_at is not None or not row.user.active:
        raise Unauthorized("The API token is not valid (revoked, or its user deactivated).")
    _touch(ApiToken, row.id, "last_used_at", row.last_used_at)
    g.user, g.via = row.user, "token"


def _touch(model, row_id: str, column: str, last: datetime | None) -> None:
    """Record that a session or token was used: at most once a minute, on its own short
    connection, and never at the cost of the request. While another process holds the
    write lock (SQLite during an import) the touch is skipped after a short wait and
    logged; the request goes on (issue 9.4)."""
    now = utcnow()
    if last is not None and now - aware(last) < TOUCH_EVERY:
        return
    with db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        try:
            if sqlite:
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {TOUCH_WAIT_MS}")
            else:
                connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{TOUCH_WAIT_MS}ms'")
            connection.execute(update(model).where(model.id == row_id).values({column: now}))
            connection.commit()
        except OperationalError as exc:
            connection.rollback()
            log.warning("%s %s: %s not updated (database busy: %s)", model.__tablename__,
                        row_id, column, type(exc.orig).__name__)
        finally:
            if sqlite:  # back to the engine's own wait for the next user of this connection
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_WAIT_MS}")


def _session_alive(row: UserSession) -> bool:
    cfg = current_app.config
    now = utcnow()
    idle = timedelta(minutes=cfg["RESDIR_SESSION_IDLE_MINUTES"])
    lifetime = timedelta(hours=cfg["RESDIR_SESSION_MAX_HOURS"])
    if row.revoked_at is not None or not row.user.active:
        return False
    if now - aware(row.last_seen_at) > idle or now - aware(row.created_at) > lifetime:
        row.revoked_at = now
        db.session.commit()
        return False
    return True


def start(user) -> UserSession:
    """A new server-side session for the user; a fresh token (no session fixation)."""
    session.clear()
    token = new_token()
    row = UserSession(token_hash=token_hash(token), user=user)
    db.session.add(row)
    session["sid"] = token
    return row


def end() -> None:
    row = g.get("session_row")
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
    session.clear()


def revoke_all(user) -> None:
    """End every session and API token of the user (on deactivation)."""
    now = utcnow()
    for row in db.session.scalars(select(UserSession).where(
            UserSession.user_id == user.id, UserSession.revoked_at.is_(None))):
        row.revoked_at = now
    for row in db.session.scalars(select(ApiToken).where(
            ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))):
        row.revoked_at = now
