"""The ResdirError family and the one handler that renders errors as HTML or JSON."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from resdir.extensions import db

log = logging.getLogger(__name__)


class ResdirError(Exception):
    """An error a user can act on. `status` is the HTTP status; `field` names the input."""

    status = 400
    title = "Request not accepted"

    def __init__(self, message: str, field: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status


class BadParameter(ResdirError):
    """A request parameter is missing, malformed or out of range."""


class NotFound(ResdirError):
    status = 404
    title = "Not found"


def _wants_json() -> bool:
    if request.path.startswith(("/api/", "/hsds/")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _render(status: int, title: str, message: str, field: str | None = None):
    if _wants_json():
        body = {"error": {"status": status, "title": title, "message": message}}
        if field:
            body["error"]["parameter"] = field
        return jsonify(body), status
    return render_template("error.html", status=status, title=title, message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ResdirError)
    def handle_resdir_error(error: ResdirError):
        return _render(error.status, error.title, error.message, error.field)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        return _render(error.code or 500, error.name, error.description or error.name)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _render(
            500,
            "Something went wrong",
            "The server could not finish this request. Nothing was changed; please try again.",
        )
