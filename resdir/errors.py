"""The ResdirError family and the one handler that renders errors as HTML or JSON."""

from __future__ import annotations

import contextlib
import logging
import traceback
from collections.abc import Iterable

from flask import Flask, current_app, jsonify, make_response, render_template, request
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from resdir.extensions import db

log = logging.getLogger(__name__)
# Path prefix -> function(status, title, message, field) rendering errors there (FHIR's
# OperationOutcome under /fhir); registered by the package that owns the prefix.
PREFIX_RENDERERS: dict = {}


class ResdirError(Exception):
    """An error a user can act on. `status` is the HTTP status, `title` heads the error
    page; `field` names the input. A kind of error states its status and title in its
    class line: `class Gone(ResdirError, status=410, title="Gone")`."""

    status = 400
    title = "Request not accepted"

    def __init_subclass__(cls, status: int | None = None, title: str | None = None,
                          **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status
        if title is not None:
            cls.title = title

    def __init__(self, message: str, field: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status


class BadParameter(ResdirError):
    """A request parameter is missing, malformed or out of range."""


class Unauthorized(ResdirError, status=401, title="Sign in required"):
    """Nobody is signed in (or the token is not valid)."""


class Forbidden(ResdirError, status=403, title="Not allowed"):
    """The user is known but may not do this (auth/policy.py decides)."""


class Conflict(ResdirError, status=409, title="Changed by someone else"):
    """Someone else changed the record first; the answer carries the current state."""

    def __init__(self, message: str, field: str | None = None, status: int | None = None,
                 version: int | None = None):
        super().__init__(message, field, status)
        self.version = version  # the record's current version, for the caller to re-read


class NotFound(ResdirError, status=404, title="Not found"):
    """No such record, or one the user may not know of (auth/policy.py)."""


def json_body(allowed: Iterable[str] | None = None) -> dict:
    """The request's JSON object, or BadParameter naming the body.

    With `allowed`, a top-level key outside it is refused (400 naming the key): a misspelt
    key silently ignored would give an answer to a question that was not asked.
    """
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadParameter("Send a JSON object.", "body")
    if allowed is not None:
        known = sorted(allowed)
        unknown = sorted(set(body) - set(known))
        if unknown:
            raise BadParameter(f"Unknown field {unknown[0]!r}. Known fields: "
                               f"{', '.join(known)}.", unknown[0])
    return body


def _wants_json() -> bool:
    if request.path.startswith(("/api/", "/hsds/", "/fhir/")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _render(status: int, title: str, message: str, field: str | None = None,
            version: int | None = None):
    for prefix, renderer in PREFIX_RENDERERS.items():
        if request.path == prefix or request.path.startswith(prefix + "/"):
            return renderer(status, title, message, field)
    if _wants_json():
        body = {"error": {"status": status, "title": title, "message": message}}
        if field:
            body["error"]["parameter"] = field
        if version is not None:
            body["error"]["current_version"] = version
        return jsonify(body), status
    return render_template("error.html", status=status, title=title, message=message), status


def error_kind(error: BaseException) -> str:
    """The error's class and its driver error's class: never the message."""
    orig = getattr(error, "orig", None)
    return type(error).__name__ + (f" ({type(orig).__name__})" if orig is not None else "")


def describe_unexpected(error: BaseException) -> str:
    """An unexpected error for the log: its type, the SQL statement if any, and where it
    happened; never its message or arguments. A database error's message can carry client
    data (PostgreSQL's "Failing row contains (...)", a key's value), and so can a message
    built from input, so none is logged."""
    kind = type(error).__name__
    if isinstance(error, StatementError):
        orig = type(error.orig).__name__ if error.orig is not None else "-"
        kind += f" ({orig}) in: {' '.join(str(error.statement or '').split())[:300]}"
    frames = traceback.extract_tb(error.__traceback__)[-8:]
    where = "".join(f"\n  {f.filename}:{f.lineno} in {f.name}" for f in frames)
    return kind + where


def database_unavailable(error: BaseException) -> bool:
    """The database did not answer: down, restarting, unreachable, or too busy (SQLite's
    lock wait ran out; PostgreSQL refused connections or ended this one). Errors of the
    request itself (a constraint, bad SQL) are not this; they stay 500s."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, InterfaceError | PoolTimeout):
        return True
    if not isinstance(error, OperationalError):
        return False
    if type(error.orig).__module__ == "sqlite3":  # also "no such table" and the like
        return str(error.orig).startswith(_SQLITE_AWAY)
    return True  # PostgreSQL: connection, shutdown, resources, deadlock, timeout classes


_SQLITE_AWAY = ("database is locked", "database is busy", "unable to open database",
                "disk I/O error")


# Seconds a client is asked to wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 10


def register_error_handlers(app: Flask) -> None:
    app.teardown_appcontext(_end_session)
    app.register_error_handler(ResdirError, _handle_resdir_error)
    app.register_error_handler(HTTPException, _handle_http_error)
    app.register_error_handler(Exception, _handle_unexpected)


def _end_session(_exc) -> None:
    # Runs before Flask-SQLAlchemy's own session.remove() (teardowns run in reverse
    # order). Ending the transaction on a connection the database has just cut (a
    # restart, a failover) raises, and from a teardown that replaces the answer already
    # made by gunicorn's bare 500 page: drop the connection instead of rolling it back.
    try:
        db.session.remove()
    except Exception as error:
        log.warning("database connection lost at the end of a request: %s",
                    error_kind(error))
        with contextlib.suppress(Exception):  # nothing left to close
            db.session.invalidate()
        db.session.registry.clear()


def _handle_resdir_error(error: ResdirError):
    return _render(error.status, error.title, error.message, error.field,
                   getattr(error, "version", None))


def _handle_http_error(error: HTTPException):
    if error.code == 429:
        # Says nothing of whether the account exists.
        return _render(429, "Too many attempts", "Too many attempts. Wait a minute and "
                       "try again.")
    if error.code == 413:
        limit = current_app.config["RESDIR_MAX_UPLOAD_MB"]
        return _render(413, "Upload too large", f"The request is larger than the "
                       f"{limit:g} MB this server accepts (RESDIR_MAX_UPLOAD_MB). Split the "
                       "file, or import it on the server with `flask --app wsgi resdir "
                       "import`.", "file")
    if error.code == 400 and "CSRF" in (error.description or ""):
        return _render(400, "Form expired", "The form expired or did not come from this "
                       "site. Reload the page and try again.")
    return _render(error.code or 500, error.name, error.description or error.name)


def _handle_unexpected(error: Exception):
    try:
        db.session.rollback()
    except Exception:  # the connection is gone: drop it, the pool opens a new one
        db.session.remove()
    if database_unavailable(error):
        # An outage is not a bug: one line per request, no frames (the operator sees
        # the outage in /healthz and in the index sync's "not answering" line).
        log.warning("database unavailable on %s %s: %s", request.method, request.path,
                    error_kind(error))
        response = make_response(_render(
            503, "Temporarily unavailable",
            "The database is not answering right now. Try again in a minute; if you "
            "were saving a change, reload first to see whether it was saved."))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    log.error("unhandled error on %s %s: %s", request.method, request.path,
              describe_unexpected(error))
    return _render(
        500,
        "Something went wrong",
        "The server could not finish this request. Nothing was changed; please try again.",
    )
