"""What a result card says at a glance: open now or not (in the program's own time zone),
until when, today's hours, languages by name, capacity counts and a map point. (Whether a
coordinator's client meets the program's rules is matching's: matching/client_hints.py.)

The facts are a page of results' ProgramFacts (resdir.directory.facts_query: plain column
queries, the same number whatever the page size), so the cards work the same whatever
object the result list holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from resdir.directory import hours
from resdir.directory.documents import spans_of
from resdir.directory.facts_query import load_facts
from resdir.directory.present import language_name


@dataclass(frozen=True)
class OpenState:
    """`open` is None when the listing has no weekly hours (nothing to say)."""

    open: bool | None
    text: str  # "Open now · closes at 5 PM", "Closed now · opens tomorrow at 9 AM"
    today: str  # today's hours: "9 AM - 5 PM", "Closed", "Closed today (holiday)"


@dataclass(frozen=True)
class Card:
    open: OpenState
    languages: tuple[str, ...]  # names, in English
    capacity: str | None  # "3 of 10 places open" (the status itself is the badge)


def _at(minute_of_week: int) -> tuple[int, time]:
    day, minute = divmod(minute_of_week % hours.WEEK_MIN, 1440)
    return day, time(minute // 60, minute % 60)


def open_state(spans: list[hours.Span], closures: list[tuple[date, date]],
               local: datetime) -> OpenState:
    """Open now, and until when; else when it opens next. `local` is now in the program's
    time zone. Dated closures count for today only (the next opening is read from the
    weekly hours)."""
    if not spans:
        return OpenState(None, _("Hours not listed: call ahead"), "")
    today_text = dict(hours.day_lines(spans))[local.weekday()]
    if any(first <= local.date() <= last for first, last in closures):
        return OpenState(False, _("Closed today"), _("Closed today (holiday)"))
    if hours.is_always(spans):
        return OpenState(True, _("Open 24 hours"), _today(today_text))
    ranges = sorted(r for s in spans for r in s.minutes())
    now_min = local.weekday() * 1440 + local.hour * 60 + local.minute
    for start, span_end in ranges:
        if start <= now_min < span_end:
            # Back-to-back spans (9-12 and 12-5, or a span split where the week wraps)
            # close at the end of the last one.
            end = span_end
            starts = dict(ranges)
            for _hop in range(len(ranges)):
                if end % hours.WEEK_MIN not in starts:
                    break
                end += starts[end % hours.WEEK_MIN] - end % hours.WEEK_MIN
            day, closes = _at(end)
            if day != local.weekday():
                return OpenState(True, _("Open now · closes %(day)s at %(time)s",
                                         day=_(hours.DAY_NAMES[day]),
                                         time=hours.fmt_time(closes)), _today(today_text))
            return OpenState(True, _("Open now · closes at %(time)s",
                                     time=hours.fmt_time(closes)), _today(today_text))
    starts_list = [s for s, _ in ranges]
    later = min([s for s in starts_list if s > now_min]
                or [s + hours.WEEK_MIN for s in starts_list])
    day, opens = _at(later)
    if day == local.weekday() and later < hours.WEEK_MIN:
        return OpenState(False, _("Closed now · opens at %(time)s", time=hours.fmt_time(opens)),
                         _today(today_text))
    if day == (local.weekday() + 1) % 7:
        return OpenState(False, _("Closed now · opens tomorrow at %(time)s",
                                  time=hours.fmt_time(opens)), _today(today_text))
    return OpenState(False, _("Closed now · opens %(day)s at %(time)s",
                              day=_(hours.DAY_NAMES[day]), time=hours.fmt_time(opens)),
                     _today(today_text))


def _today(text: str) -> str:
    """Today's hours; the two worded ones in the page's language (times stay as written)."""
    return _(text) if text in ("Closed", "Open 24 hours") else text


def _capacity(available: int | None, maximum: int | None) -> str | None:
    if available is None:
        return None
    if maximum:
        return _("%(open)s of %(most)s places open", open=available, most=maximum)
    return _("%(open)s places open", open=available)


def cards_for(ids: list[str], now: datetime | None = None) -> dict[str, Card]:
    """The card facts of these programs, by id."""
    if not ids:
        return {}
    now = now or datetime.now(UTC)
    default_zone = current_app.config["RESDIR_DEFAULT_TIMEZONE"]
    out = {}
    for sid, program in load_facts(ids).items():
        closures = [(c.valid_from, c.valid_to or c.valid_from) for c in program.schedules
                    if c.closed and c.valid_from]
        local = now.astimezone(ZoneInfo(program.timezone or default_zone))
        names = tuple(dict.fromkeys(language_name(code) for code in program.languages))
        out[sid] = Card(open_state(spans_of(program), closures, local), names,
                        _capacity(program.capacity_available, program.capacity_maximum))
    return out


def map_point(location) -> tuple[float, float] | None:
    """Where the card's marker goes; none for a confidential place (its address is kept
    from the public, and a marker would show it)."""
    if location is None or location.confidential or location.latitude is None \
            or location.longitude is None:
        return None
    return (location.latitude, location.longitude)
