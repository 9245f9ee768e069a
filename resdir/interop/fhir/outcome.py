"""Every error under /fhir/ as an OperationOutcome (FHIR R4), content type
application/fhir+json. resdir.errors calls `render` for paths under /fhir."""

from __future__ import annotations

from flask import jsonify

from resdir.errors import ResdirError
from resdir.interop.fhir.common import MIMETYPE

# HTTP status -> OperationOutcome issue code (http://hl7.org/fhir/issue-type)
ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found",
               405: "not-supported", 406: "not-supported", 409: "conflict", 412: "conflict",
               415: "not-supported", 422: "business-rule", 428: "conflict",
               429: "throttled", 500: "exception"}


class Unprocessable(ResdirError, status=422, title="Not allowed by the referral rules"):
    """A well-formed resource the server's rules refuse (FHIR answers 422)."""


class PreconditionFailed(ResdirError, status=412, title="Version does not match"):
    """If-Match named a version that is no longer current."""


def outcome(status: int, message: str, element: str | None = None,
            code: str | None = None) -> dict:
    """An OperationOutcome with one issue; `diagnostics` names the element."""
    if element and element not in message:
        message = f"{element}: {message}"
    issue = {"severity": "fatal" if status >= 500 else "error",
             "code": code or ISSUE_CODES.get(status, "processing"),
             "diagnostics": message}
    if element:
        issue["expression"] = [element]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def render(status: int, title: str, message: str, field: str | None = None):
    """The error handler's answer for a /fhir path."""
    del title  # the issue code says what kind of error it is
    response = jsonify(outcome(status, message, field))
    response.status_code = status
    response.mimetype = MIMETYPE
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="resdir FHIR"'
    return response


def fhir_json(resource: dict, status: int = 200, headers: dict | None = None):
    response = jsonify(resource)
    response.status_code = status
    response.mimetype = MIMETYPE
    meta = resource.get("meta") or {}
    if "versionId" in meta:
        response.headers["ETag"] = f'W/"{meta["versionId"]}"'
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
