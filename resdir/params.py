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
    return _in_range(args, name, int, "a whole number", low, high)


def number(args: MultiDict, name: str, low: float, high: float) -> float | None:
    return _in_range(args, name, float, "a number", low, high)


def _in_range(args: MultiDict, name: str, kind: type, kind_name: str, low, high):
    """The value read as `kind`, or BadParameter naming `name`; None when missing."""
    value = text(args, name)
    if value is None:
        return None
    try:
        found = kind(value)
    except ValueError:
        raise BadParameter(f"{name} must be {kind_name}, not {value[:40]!r}.", name) from None
    bound = "{:g}" if kind is float else "{}"  # 0.1 and 50, not 0.1 and 50.0
    # The range first: a whole number too long for a float never reaches isfinite.
    if not (low <= found <= high and math.isfinite(found)):
        raise BadParameter(f"{name} must be between {bound.format(low)} and "
                           f"{bound.format(high)}.", name)
    return found


def flag(args: MultiDict, name: str) -> bool:
    value = (text(args, name) or "").lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise BadParameter(f"{name} must be true or false.", name)
