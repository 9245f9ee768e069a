"""Pickers on the listing form (issue 10, defect 8): weekly hours as one row per day (opens,
closes, and an optional second range) and accepted insurance as check boxes.

The text forms stay: the directory CSV and HSDS imports use them, and the form keeps the hours
text box (in a "type them as text" fold) for what the rows cannot say, such as a third range
in a day. The pickers only translate: the rows become hours text, the boxes an insurance list,
and then the listing save decides what changed, field by field, exactly as for typed text.
Rows the user did not touch never override the text box, and both changed at once (to
different hours) is refused by name rather than guessed.
"""

from __future__ import annotations

import re
from datetime import time

from resdir.agencies.listing import fingerprint
from resdir.directory import hours
from resdir.errors import BadParameter
from resdir.matching.facts import INSURANCE_TYPES

RANGES = 2  # per day in the rows; more need the text box
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


def rows(text: str) -> list[dict] | None:
    """The hours text as rows for the form, or None when rows cannot show it exactly."""
    try:
        spans = hours.parse(text)
    except hours.HoursError:
        return None
    out = []
    for day, code in enumerate(hours.DAY_CODES):
        todays = [s for s in spans if s.day == day]
        if len(todays) > RANGES:
            return None
        ranges = [(f"{s.opens:%H:%M}", f"{s.closes:%H:%M}") for s in todays]
        ranges += [("", "")] * (RANGES - len(ranges))
        out.append({"code": code, "name": hours.DAY_NAMES[day], "ranges": ranges})
    return out


def rows_from_form(form) -> list[dict]:
    """The rows as the user sent them (shown again, as typed, after a refused save)."""
    return [{"code": code, "name": hours.DAY_NAMES[day],
             "ranges": [((form.get(f"hours_{code}_{k}_opens") or "")[:10],
                         (form.get(f"hours_{code}_{k}_closes") or "")[:10])
                        for k in range(1, RANGES + 1)]}
            for day, code in enumerate(hours.DAY_CODES)]


def shown_rows(form, values: dict, current: dict, error) -> tuple[list[dict] | None, str]:
    """(rows to show, their fingerprint) for the edit page: the listing's hours; after a
    refused save the user's own rows (still counted as changed); after a conflict the
    user's hours over the listing as it is now."""
    if error is not None and error.status == 400 and form.get("hours_rows_seen") is not None:
        return rows_from_form(form), form["hours_rows_seen"]
    base = current["hours"] if current else values["hours"]
    return rows(values["hours"]), rows_fingerprint(base)


def _time(text: str, day: str, which: str) -> time:
    match = _TIME.match(text.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise BadParameter(f"hours: {day}'s {which} time {text[:10]!r} is not a time like "
                           "09:00.", "hours")
    return time(int(match.group(1)), int(match.group(2)))


def text_from_rows(form) -> str:
    """The rows as sent, as hours text (days with equal ranges grouped, as imports write)."""
    spans = []
    for day, code in enumerate(hours.DAY_CODES):
        name = hours.DAY_NAMES[day]
        for k in range(1, RANGES + 1):
            opens = (form.get(f"hours_{code}_{k}_opens") or "").strip()
            closes = (form.get(f"hours_{code}_{k}_closes") or "").strip()
            if not opens and not closes:
                continue
            if not opens or not closes:
                raise BadParameter(f"hours: give {name} both an opening and a closing time, "
                                   "or neither (closed).", "hours")
            spans.append(hours.Span(day, _time(opens, name, "opening"),
                                    _time(closes, name, "closing")))
    return hours.to_text(sorted(spans, key=lambda s: (s.day, s.opens)))


def _same_hours(a: str, b: str) -> bool:
    try:
        return hours.to_text(hours.parse(a)) == hours.to_text(hours.parse(b))
    except hours.HoursError:
        return False


def apply(form, changes: dict, shown: dict) -> None:
    """Turn the pickers of a submitted form into the `hours` and `insurance` texts of
    `changes`. `shown` holds the texts the form showed (for untouched pickers)."""
    if form.get("hours_rows_seen") is not None:
        from_rows = text_from_rows(form)
        if fingerprint(from_rows) != form["hours_rows_seen"]:  # the rows were changed
            typed = changes.get("hours", shown.get("hours", ""))
            typed_changed = fingerprint(typed) != form.get("seen_hours")
            if typed_changed and not _same_hours(typed, from_rows):
                raise BadParameter("hours: you changed the hours both in the table and as "
                                   "text. Keep one of the two changes and save again.",
                                   "hours")
            changes["hours"] = from_rows
    if form.get("insurance_picker"):
        # One box name per kind (insurance_medicaid...): one value per name, as the rest.
        picked = [i for i in INSURANCE_TYPES if form.get(f"insurance_{i}")]
        before = [i.strip().lower() for i in shown.get("insurance", "").split(";")
                  if i.strip()]
        # The same set in another order or spelling is no change: keep the text as it was.
        changes["insurance"] = shown.get("insurance", "") if set(picked) == set(before) \
            else ";".join(picked)


def rows_fingerprint(text: str) -> str:
    """What the rows showed, as the text they send back untouched ("" when not shown)."""
    if rows(text) is None:
        return ""
    return fingerprint(hours.to_text(hours.parse(text)))


def insurance_picked(text: str) -> set[str]:
    return {i.strip().lower() for i in (text or "").split(";") if i.strip()}


INSURANCE_LABELS = {"medicaid": "Medicaid", "medicare": "Medicare",
                    "private": "Private insurance", "uninsured": "No insurance (uninsured)"}
