"""Query-string and form parameters: one reading of numbers and yes/no for every page and API.

A bad value raises BadParameter naming the parameter (a 400). A missing or empty value is
None (False for a flag). Yes/no is spelled one way everywhere: 1, true, yes, on / 0, false,
no, off, or empty; anything else is refused rather than guessed (`overdue=false` is false).
"""

from __future__ import annotations

import math

from werkzeug.datastructures import MultiDict

from resdir.errors import BadParameter

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"", "0", "false", "no", "off"})


def text(args: MultiDict, name: str, limit: int = 1000) -> str | None:
    """The stripped value, cut at `limit` characters; None when empty."""
    value = (args.get(name) or "").strip()
    return value[:limit] or None


def integer(args: MultiDict, name: str, low: int, high: int) -> int | None:
    value = text(args, name)
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise BadParameter(f"{name} must be a whole number, not {value[:40]!r}.",
                           name) from None
    if not low <= number <= high:
        raise BadParameter(f"{name} must be between {low} and {high}.", name)
    return number


def number(args: MultiDict, name: str, low: float, high: float) -> float | None:
    value = text(args, name)
    if value is None:
        return None
    try:
        found = float(value)
    except ValueError:
        raise BadParameter(f"{name} must be a number, not {value[:40]!r}.", name) from None
    if not math.isfinite(found) or not low <= found <= high:
        raise BadParameter(f"{name} must be between {low:g} and {high:g}.", name)
    return found


def flag(args: MultiDict, name: str) -> bool:
    value = (text(args, name) or "").lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise BadParameter(f"{name} must be true or false.", name)
