"""What a submitted value may be before it reaches the database: one set of rules.

Every request is checked before its view runs (NUL characters in parameters, form fields and
path ids; NUL characters and unpaired surrogates anywhere in a JSON body), and every flush is
checked against the models' own columns (text longer than the column, NUL characters and
unpaired surrogates, objects where text or a number belongs, numbers the column cannot hold),
so a value PostgreSQL or SQLite would refuse with a 500 is a 400 naming the field instead,
on both databases. Views still check their own fields first where they can say more (a
form's label, a CSV's file and row).
"""

from __future__ import annotations

import math
from decimal import Decimal
from urllib.parse import urlsplit

from flask import Flask, request
from sqlalchemy import JSON, Boolean, Float, Integer, String, Text, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.types import BigInteger, Numeric

from resdir.errors import BadParameter
from resdir.extensions import db

INT32 = 2**31 - 1
INT64 = 2**63 - 1


def flaw(text: str) -> str | None:
    """Why no database can store this text (None when it can)."""
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired surrogate (not a character)"
    return None


def check_text(text: str, field: str) -> None:
    reason = flaw(text)
    if reason:
        raise BadParameter(f"{field} {reason}.", field)


def check_json(value, path: str = "body") -> None:
    """Raise BadParameter naming the first string (or key) in a JSON value that no database
    can store, by its path: `consent.given_by`, `needs[2]`."""
    if isinstance(value, str):
        check_text(value, path)
    elif isinstance(value, dict):
        for key, item in value.items():
            if reason := flaw(str(key)):
                raise BadParameter(f"{path} has a field name that {reason}.", path)
            check_json(item, str(key) if path == "body" else f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_json(item, f"{path}[{i}]")


def http_url(text: str | None, field: str) -> str | None:
    """The address if it is an absolute http(s) URL; BadParameter naming the field if not.
    `javascript:`, `data:` and the like would run in the browser of whoever clicks them."""
    if text is None or not text.strip():
        return None
    reason = http_url_problem(text)
    if reason:
        raise BadParameter(f"{field} {reason}.", field)
    return text.strip()


def http_url_problem(text: str) -> str | None:
    """Why the text is no absolute http(s) URL (None when it is one)."""
    text = text.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return f"is not a web address: {text[:60]!r}"
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(
            c.isspace() or ord(c) < 32 for c in text):
        return (f"must be a web address starting with http:// or https://, not "
                f"{text[:60]!r}")
    return None


def column_length(attribute) -> int | None:
    """The length of a model's String column, e.g. column_length(Phone.number) -> 40."""
    return getattr(attribute.property.columns[0].type, "length", None)


def check_length(text: str | None, attribute, field: str) -> None:
    limit = column_length(attribute)
    if text is not None and limit is not None and len(text) > limit:
        raise BadParameter(f"{field} is too long: at most {limit} characters.", field)


# -- before each request ----------------------------------------------------------------------


def refuse_unstorable_input() -> None:
    """before_request: a NUL character is never meaningful input and PostgreSQL text cannot
    hold one; an unpaired surrogate is no character and no database can store it. Say which
    parameter carries it instead of failing deep in the database."""
    now = request._get_current_object()  # looked up once (before every request: issue 12)
    for name, value in (now.view_args or {}).items():
        if isinstance(value, str):
            check_text(value, name)
    # request.form only when a form was sent: reading it builds an empty one otherwise.
    mimetype = now.mimetype
    sent_form = mimetype in ("multipart/form-data", "application/x-www-form-urlencoded")
    for source in (now.args, now.form) if sent_form else (now.args,):
        for name, values in source.lists():
            if name == "q":
                continue  # search words only reach the index, which drops control characters
            clean = name.replace("\x00", "")[:40]
            if "\x00" in name or any("\x00" in v for v in values):
                raise BadParameter(f"{clean} contains a NUL character.", clean)
    if now.is_json:
        body = now.get_json(silent=True)
        if body is not None:
            check_json(body)


# -- before each flush -------------------------------------------------------------------------


def _kind(column_type) -> tuple[str, object]:
    if isinstance(column_type, Boolean):
        return "other", None  # Boolean is an Integer to some dialects
    if isinstance(column_type, String | Text):
        return "text", getattr(column_type, "length", None)
    if isinstance(column_type, BigInteger):
        return "int", INT64
    if isinstance(column_type, Integer):
        return "int", INT32
    if isinstance(column_type, Float | Numeric):
        return "float", None
    if isinstance(column_type, JSON):
        return "json", None
    return "other", None


_COLUMNS: dict[type, list[tuple[str, str, object]]] = {}


def _columns(cls) -> list[tuple[str, str, object]]:
    found = _COLUMNS.get(cls)
    if found is None:
        found = _COLUMNS[cls] = [
            (attr.key, *_kind(attr.columns[0].type))
            for attr in sa_inspect(cls).column_attrs if len(attr.columns) == 1]
    return found


def _problem(value, kind: str, limit) -> str | None:
    """Why the column cannot hold the value, for what a database refuses with an error of
    its own (a 500). Conversions the databases make themselves (a number into a text
    column, say) are left to them."""
    if value is None:
        return None
    if kind == "text":
        if isinstance(value, dict | list):
            return "must be text"
        if not isinstance(value, str):
            return None
        if limit is not None and len(value) > limit:
            return f"is too long: at most {limit} characters"
        return flaw(value)
    if kind in ("int", "float") and isinstance(value, int | float | Decimal) and not (
            isinstance(value, bool)):
        if not math.isfinite(value):
            return "must be a finite number"
        return f"must be between -{limit} and {limit}" if limit and abs(value) > limit else None
    if kind in ("int", "float") and isinstance(value, dict | list):
        return "must be a number"
    if kind == "json":
        try:
            check_json(value, "value")
        except BadParameter as exc:
            return exc.message.removeprefix("value").strip().rstrip(".")
    return None


def _check_flush(session, _context, _instances) -> None:
    for obj in (*session.new, *session.dirty):
        state = sa_inspect(obj)
        changed = None if state.key is None else set(state.committed_state)
        for key, kind, limit in _columns(type(obj)):
            if changed is not None and key not in changed:
                continue
            reason = _problem(state.dict.get(key), kind, limit)
            if reason:
                raise BadParameter(f"{key} {reason}.", key)


def init_app(app: Flask) -> None:
    app.before_request(refuse_unstorable_input)
    session_cls = db.session.session_factory.class_
    if not event.contains(session_cls, "before_flush", _check_flush):
        event.listen(session_cls, "before_flush", _check_flush)
