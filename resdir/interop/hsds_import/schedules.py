"""Opening hours and closures from HSDS 3.0 `schedule` rows (iCal-like `freq`/`byday`) and
HSDS 1.x `regular_schedules` (`weekday`) / `holiday_schedules` (dated closures).

resdir keeps one row per weekly span (one day each) and one row per dated closure.
"""

from __future__ import annotations

import re
from datetime import date, time

from resdir.directory.models import WEEKDAYS
from resdir.interop.hsds_import.clean import Cleaner
from resdir.interop.hsds_import.parse import boolean, parse_days
from resdir.interop.hsds_import.tables import Rec

_HAS_HALF = re.compile(r"[ap]\.?\s*m", re.I)


def rows(rec: Rec, clean: Cleaner, today: date, closure: bool = False) -> list[dict]:
    """Schedule rows (model keyword arguments) for one source row; [] when it is skipped.
    `closure`: resdir's own export marks a dated closure with an extension attribute."""
    if closure:
        start = clean.day(rec, "valid_from")
        return [dict(closed=True, valid_from=start, valid_to=clean.day(rec, "valid_to") or start,
                     description=clean.text(rec, "description") or "Closed")] if start else []
    if rec.data.get("_closure"):
        return _closure(rec, clean, today)
    freq = rec.get("freq").upper()
    if freq and freq != "WEEKLY":
        clean.skipped(rec, "freq", f"{freq} schedules are not supported (only WEEKLY)")
        return []
    days = _days(rec, clean)
    if not days:
        return []  # reported by _days
    opens, closes = clean.time_of_day(rec, "opens_at"), clean.time_of_day(rec, "closes_at")
    if opens is None or closes is None:
        if rec.get("opens_at") == "" or rec.get("closes_at") == "":
            clean.skipped(rec, "opens_at" if opens is None else "closes_at",
                          "opening time is blank; hours row skipped")
        return []
    closes = _afternoon(rec, clean, opens, closes)
    valid_from, valid_to = clean.day(rec, "valid_from"), clean.day(rec, "valid_to")
    description = clean.text(rec, "description")
    return [
        dict(freq="WEEKLY", byday=WEEKDAYS[d], opens_at=opens, closes_at=closes,
             valid_from=valid_from, valid_to=valid_to, description=description, closed=False)
        for d in days
    ]


def _days(rec: Rec, clean: Cleaner) -> list[int]:
    if rec.get("byday") or "weekday" not in rec.data:
        return clean.weekdays(rec, "byday")
    if not rec.get("weekday"):
        for name in ("original_text", "description"):  # ORServices keeps them in words
            found = parse_days(rec.get(name)) if rec.get(name) else None
            if found:
                clean.repaired(rec, "weekday", f"blank; days taken from {name} "
                                               f"{rec.get(name)!r}")
                return found
    return clean.weekdays(rec, "weekday")


def _afternoon(rec: Rec, clean: Cleaner, opens: time, closes: time) -> time:
    """'9am' to '03:00' means 3 pm, not a night shift: a closing hour before the opening
    hour, written without am/pm, is read as afternoon when that makes a same-day span."""
    raw = rec.get("closes_at")
    if closes < opens and closes.hour < 12 and not _HAS_HALF.search(raw) and closes != time(0):
        later = time(closes.hour + 12, closes.minute)
        if later > opens:
            clean.repaired(rec, "closes_at", f"{raw!r} is before the opening time; read as "
                                             f"{later:%H:%M}")
            return later
    return closes


def _closure(rec: Rec, clean: Cleaner, today: date) -> list[dict]:
    closed = boolean(rec.get("closed"))
    opens, closes = rec.get("opens_at"), rec.get("closes_at")
    if closed is False or (closed is None and (opens or closes)):
        clean.skipped(rec, "closed", "special opening hours on dates are not supported; only "
                                     "closures are kept")
        return []
    start = clean.day(rec, "start_date")
    end = clean.day(rec, "end_date") or start
    if start is None:
        clean.skipped(rec, "start_date", "a closure needs a start date")
        return []
    if end < start and end.year != 1:
        clean.repaired(rec, "end_date", "before start_date; the closure is one day")
        end = start
    description = clean.text(rec, "description") or "Closed"
    if start.year != 1:
        return [dict(closed=True, valid_from=start, valid_to=end, description=description)]
    # Ohana writes closures that recur every year with the year 0001.
    out = []
    for year in (today.year, today.year + 1):
        try:
            first = start.replace(year=year)
            last = end.replace(year=year if end >= start else year + 1)
        except ValueError:
            continue
        out.append(dict(closed=True, valid_from=first, valid_to=last, description=description))
    clean.repaired(rec, "start_date", f"a yearly closure (year 0001); stored for {today.year} "
                                      f"and {today.year + 1}")
    return out
