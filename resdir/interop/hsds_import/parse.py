"""Parsing times, weekdays, dates, yes/no words and language names as messy sources write
them ("9:00 AM", "3pm", "Mon-Fri", "12/24/15", "January 01, 0001", "Chinese (Mandarin)")."""

from __future__ import annotations

import re
from datetime import date, datetime, time

_TIME = re.compile(
    r"^(\d{1,2})(?:[:.](\d{2}))?(?::(\d{2}))?(?:\.\d+)?\s*([ap])?\.?\s*(m\.?)?\s*"
    r"(z|[+-]\d{2}:?\d{2})?$", re.I)
_DAY_NAMES = {
    "mo": 0, "mon": 0, "monday": 0, "tu": 1, "tue": 1, "tues": 1, "tuesday": 1, "we": 2,
    "wed": 2, "wednesday": 2, "th": 3, "thu": 3, "thur": 3, "thurs": 3, "thursday": 3,
    "fr": 4, "fri": 4, "friday": 4, "sa": 5, "sat": 5, "saturday": 5, "su": 6, "sun": 6,
    "sunday": 6,
}
def boolean(text: str) -> bool | None:
    low = text.strip().lower()
    if low in ("true", "t", "yes", "y", "1", "closed"):
        return True
    if low in ("false", "f", "no", "n", "0", "open"):
        return False
    return None


def parse_time(raw: str) -> time | None:
    match = _TIME.match(raw.strip())
    if not match:
        digits = raw.strip()
        if re.fullmatch(r"\d{4}", digits):
            match = _TIME.match(f"{digits[:2]}:{digits[2:]}")
        if not match:
            return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    half = (match.group(4) or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "p" else 0)
    elif match.group(2) is None:
        return None  # a bare number is not a time
    if hour == 24 and minute == 0:
        return time(0, 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_days(raw: str) -> list[int] | None:
    text = (raw or "").strip().lower()
    if not text:
        return None
    if text in ("daily", "every day", "everyday", "7 days", "all week", "mo-su"):
        return list(range(7))
    if text in ("weekdays", "weekday", "monday-friday", "mon-fri", "m-f"):
        return list(range(5))
    if text in ("weekends", "weekend"):
        return [5, 6]
    days: list[int] = []
    for part in re.split(r"\s*(?:,|;|/|&|\band\b)\s*", text):
        if not part:
            continue
        ends = re.split(r"\s*(?:-|–|\bto\b|\bthrough\b|\bthru\b)\s*", part)
        found = [_one_day(e) for e in ends]
        if None in found or len(found) > 2:
            return None
        if len(found) == 2:
            a, b = found
            days.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(b + 1)])
        else:
            days.append(found[0])
    return sorted(set(days)) or None


def _one_day(text: str) -> int | None:
    text = text.strip().rstrip(".s") if text.strip() not in ("tues", "thurs") else text.strip()
    if text.isdigit():
        number = int(text)
        return 6 if number in (0, 7) else number - 1 if 1 <= number <= 6 else None
    return _DAY_NAMES.get(text) if text not in ("", "s") else None


_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%B %d, %Y", "%b %d, %Y", "%d %B %Y",
                 "%Y/%m/%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ")


def parse_date(raw: str) -> date | None:
    text = raw.strip()
    year_one = re.match(r"^(.*\b)0*1$", text)  # Ohana writes yearly dates with year 0001
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    if year_one:
        for fmt in ("%B %d, %Y", "%m/%d/%Y", "%Y-%m-%d"):
            try:
                return datetime.strptime(year_one.group(1) + "2000", fmt).date().replace(year=1)
            except ValueError:
                continue
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


