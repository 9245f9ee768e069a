"""Weekly opening hours: the compact text form, spans in minutes of the week, display.

Text form (seed CSV and forms): rules separated by ";", each `DAYS SPAN[,SPAN...]`, where
DAYS is `Mo`..`Su`, a range `Mo-Fr` or a list `Mo,We,Fr`, and SPAN is `HH:MM-HH:MM`. A span
that closes at or before it opens runs past midnight. `24/7` alone means always open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

DAY_CODES = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
HSDS_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEK_MIN = 7 * 24 * 60
_SPAN_RE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class HoursError(ValueError):
    """The hours text does not follow the grammar; the message says which part."""


@dataclass(frozen=True)
class Span:
    day: int  # 0 = Monday
    opens: time
    closes: time

    @property
    def overnight(self) -> bool:
        return self.closes <= self.opens

    def minutes(self) -> list[tuple[int, int]]:
        """Return [start, end) minute-of-week ranges, split where the week wraps."""
        start = self.day * 1440 + self.opens.hour * 60 + self.opens.minute
        length = (self.closes.hour * 60 + self.closes.minute) - (
            self.opens.hour * 60 + self.opens.minute
        )
        if length <= 0:
            length += 1440
        end = start + length
        if end <= WEEK_MIN:
            return [(start, end)]
        return [(start, WEEK_MIN), (0, end - WEEK_MIN)]


ALWAYS = [Span(d, time(0, 0), time(0, 0)) for d in range(7)]


def _parse_days(text: str) -> list[int]:
    days: list[int] = []
    for raw in text.split(","):
        part = raw.strip()
        if "-" in part:
            first, _, last = part.partition("-")
            if first not in DAY_CODES or last not in DAY_CODES:
                raise HoursError(f"unknown day range {part!r} (use Mo, Tu, We, Th, Fr, Sa, Su)")
            a, b = DAY_CODES.index(first), DAY_CODES.index(last)
            days.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(b + 1)])
        elif part in DAY_CODES:
            days.append(DAY_CODES.index(part))
        else:
            raise HoursError(f"unknown day {part!r} (use Mo, Tu, We, Th, Fr, Sa, Su)")
    return days


def _parse_time(hh: str, mm: str, whole: str) -> time:
    hour, minute = int(hh), int(mm)
    if hour == 24 and minute == 0:
        return time(0, 0)
    if hour > 23 or minute > 59:
        raise HoursError(f"{whole!r} is not a time of day")
    return time(hour, minute)


def parse(text: str) -> list[Span]:
    """Parse the text form into spans; raise HoursError naming the bad part."""
    text = (text or "").strip()
    if not text:
        return []
    if text == "24/7":
        return list(ALWAYS)
    spans: list[Span] = []
    for rule in filter(None, (r.strip() for r in text.split(";"))):
        days_text, _, spans_text = rule.partition(" ")
        if not spans_text.strip():
            raise HoursError(f"{rule!r} needs days and times, like 'Mo-Fr 09:00-17:00'")
        days = _parse_days(days_text)
        if spans_text.strip().lower() == "closed":
            continue
        for span_text in spans_text.split(","):
            match = _SPAN_RE.match(span_text.strip())
            if not match:
                raise HoursError(f"{span_text.strip()!r} is not a span like 09:00-17:00")
            opens = _parse_time(match.group(1), match.group(2), span_text)
            closes = _parse_time(match.group(3), match.group(4), span_text)
            spans.extend(Span(day, opens, closes) for day in days)
    return sorted(spans, key=lambda s: (s.day, s.opens))


def is_always(spans: list[Span]) -> bool:
    covered = sorted(m for s in spans for m in s.minutes())
    reach = 0
    for start, end in covered:
        if start > reach:
            return False
        reach = max(reach, end)
    return reach >= WEEK_MIN


def fmt_time(value: time) -> str:
    """12-hour clock as people read it: 9 AM, 5:30 PM, midnight."""
    if value == time(0, 0):
        return "midnight"
    if value == time(12, 0):
        return "noon"
    hour = value.hour % 12 or 12
    suffix = "AM" if value.hour < 12 else "PM"
    return f"{hour}:{value.minute:02d} {suffix}" if value.minute else f"{hour} {suffix}"


def day_lines(spans: list[Span]) -> list[tuple[int, str]]:
    """Return (day, "9 AM - 5 PM, 6 PM - 8 PM" or "Closed") for each day of the week."""
    if spans and is_always(spans):
        return [(d, "Open 24 hours") for d in range(7)]
    lines = []
    for day in range(7):
        todays = [s for s in spans if s.day == day]
        text = ", ".join(
            f"{fmt_time(s.opens)} - {fmt_time(s.closes)}"
            + (" (next day)" if s.overnight and s.closes != time(0, 0) else "")
            for s in todays
        )
        lines.append((day, text or "Closed"))
    return lines


def to_text(spans: list[Span]) -> str:
    """The inverse of :func:`parse`, grouping days that have the same spans."""
    if not spans:
        return ""
    if is_always(spans):
        return "24/7"
    by_day: dict[int, str] = {}
    for s in spans:
        piece = f"{s.opens:%H:%M}-{s.closes:%H:%M}"
        by_day[s.day] = f"{by_day[s.day]},{piece}" if s.day in by_day else piece
    rules, day = [], 0
    while day < 7:
        if day not in by_day:
            day += 1
            continue
        end = day
        while end + 1 < 7 and by_day.get(end + 1) == by_day[day]:
            end += 1
        days = DAY_CODES[day] if end == day else f"{DAY_CODES[day]}-{DAY_CODES[end]}"
        rules.append(f"{days} {by_day[day]}")
        day = end + 1
    return "; ".join(rules)
