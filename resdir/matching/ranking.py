"""How a matched program ranks, and why: one score from six plain signals.

Weights are a product choice, written here so coordinators can be told: eligibility
certainty counts most, then distance, capacity, freshness, the coordinator's own words, and
whether the program is open now. Without the coordinator's words, how well a program says
what the need is about (data/sdoh_needs.csv `words`) counts as the words would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from resdir.directory import hours
from resdir.directory.facts import ProgramFacts
from resdir.matching.eligibility import Verdict

WEIGHTS = {"eligibility": 0.35, "distance": 0.25, "capacity": 0.15, "freshness": 0.10,
           "words": 0.10, "hours": 0.05}
# Without the coordinator's words, how well a program says what the need is about counts as
# much as distance: a domestic violence shelter 5 miles away before a prosecutor's office
# next door that mentions domestic violence cases.
TOPIC_WEIGHT = 0.25
CERTAINTY = {"eligible": 1.0, "likely": 0.7, "unknown": 0.4, "ineligible": 0.0}
CAPACITY = {"capacity": 1.0, None: 0.6, "additional-assessment-required": 0.5,
            "waitlist": 0.4, "no-capacity": 0.1}
CAPACITY_WHY = {"capacity": "Accepting clients", None: "Capacity not reported",
                "additional-assessment-required": "Needs an assessment first",
                "waitlist": "Has a waitlist", "no-capacity": "No openings now"}


@dataclass
class Ranked:
    score: float
    why: list[str]


def open_now(service: ProgramFacts, now: datetime, tz: str) -> bool | None:
    """True or False when hours are known, None when they are not."""
    schedules = service.schedules
    # The weekly spans of documents.spans_of, as (byday, opens, closes).
    weekly = [(s.byday, s.opens_at, s.closes_at) for s in schedules
              if not s.closed and s.byday in hours.HSDS_DAYS and s.opens_at and s.closes_at]
    if not weekly:
        return None
    minute, today = _local(now, tz)
    if any(s.closed and s.valid_from and s.valid_from <= today <= (s.valid_to or
           s.valid_from) for s in schedules):
        return False
    return any(start <= minute < end for span in weekly for start, end in _minutes(*span))


@lru_cache(maxsize=256)
def _local(now: datetime, tz: str) -> tuple[int, date]:
    """(minute of the week, date) of `now` in the zone `tz`."""
    local = now.astimezone(ZoneInfo(tz))
    return local.weekday() * 1440 + local.hour * 60 + local.minute, local.date()


@lru_cache(maxsize=4096)
def _minutes(byday: str, opens: time, closes: time) -> tuple[tuple[int, int], ...]:
    """hours.Span.minutes() of one weekly span (programs share a few hundred at most)."""
    return tuple(hours.Span(hours.HSDS_DAYS.index(byday), opens, closes).minutes())


def rank(service: ProgramFacts, verdict: Verdict, distance_mi: float | None,
         relevance: float | None, is_open: bool | None, today: date,
         stale_after_days: int, topic: tuple[float, str] | None = None) -> Ranked:
    """`relevance`: to the coordinator's words; without words, `topic` (relevance, phrase)
    says how well the program fits what the need is about, and counts in their place."""
    why: list[str] = []
    unknown = len(verdict.unknown)
    certainty = CERTAINTY[verdict.status] - (0.05 * min(unknown, 4) if unknown else 0)
    why.append(verdict.summary)
    if distance_mi is None:
        near = 0.5
        why.append("Distance unknown (no client location)")
    else:
        near = 1 / (1 + distance_mi / 5)
        why.append(f"{distance_mi:.1f} mi away")
    capacity = CAPACITY.get(service.capacity_status, 0.6)
    why.append(CAPACITY_WHY.get(service.capacity_status, "Capacity not reported"))
    if service.assured_date is None:
        fresh = 0.3
        why.append("Never verified")
    else:
        age = (today - service.assured_date).days
        fresh = 1.0 if age <= stale_after_days else 0.5
        why.append(f"Verified {age} days ago" + ("" if age <= stale_after_days
                                                  else " (may be out of date)"))
    words = relevance or 0.0
    if relevance:
        why.append("Matches your words" if relevance >= 0.5 else "Partly matches your words")
    elif topic:
        why.append(f"Offers help with {topic[1]}")
    hours = {True: 1.0, False: 0.5, None: 0.3}[is_open]
    why.append({True: "Open now", False: "Closed now", None: "Hours unknown"}[is_open])
    score = (WEIGHTS["eligibility"] * certainty + WEIGHTS["distance"] * near
             + WEIGHTS["capacity"] * capacity + WEIGHTS["freshness"] * fresh
             + WEIGHTS["words"] * words + WEIGHTS["hours"] * hours
             + (TOPIC_WEIGHT * topic[0] if topic and not relevance else 0.0))
    return Ranked(round(score, 4), why)
