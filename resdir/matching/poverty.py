"""HHS poverty guidelines (data/poverty_guidelines.csv) and income as a percent of them."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

from resdir.basics import ROOT

GUIDELINES_FILE = ROOT / "data" / "poverty_guidelines.csv"
REGIONS = ("contiguous", "alaska", "hawaii")
REGION_NAMES = {
    "contiguous": "48 contiguous states and DC", "alaska": "Alaska", "hawaii": "Hawaii",
}
# HHS publishes no guideline for territories, freely associated states or military mail;
# programs there commonly use the contiguous figures, and the note says so.
_COVERED = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV "
    "NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split()
)


@dataclass(frozen=True)
class Guideline:
    year: int
    region: str
    base: int
    per_extra_person: int | None
    effective: date


@dataclass(frozen=True)
class PovertyResult:
    """Income as a percent of the guideline; `exact_percent` is for comparing with limits."""

    year: int
    region: str
    household_size: int
    guideline: int
    percent: int
    exact_percent: Fraction
    note: str | None = None

    def as_dict(self) -> dict:
        return {"year": self.year, "region": self.region, "percent": self.percent,
                "household_size": self.household_size, "guideline": self.guideline,
                "note": self.note}


def region_of(state: str | None) -> str:
    """The guideline region of a state code: AK alaska, HI hawaii, anything else contiguous."""
    return {"AK": "alaska", "HI": "hawaii"}.get((state or "").upper(), "contiguous")


@lru_cache(maxsize=4)
def load_guidelines(path: Path = GUIDELINES_FILE) -> tuple[Guideline, ...]:
    """Read the guideline table; raise ValueError naming the bad line."""
    rows = []
    with Path(path).open(newline="", encoding="utf-8") as handle:
        for line, raw in enumerate(csv.DictReader(handle), start=2):
            try:
                extra = (raw["per_extra_person"] or "").strip()
                row = Guideline(
                    year=int(raw["year"]), region=raw["region"].strip(), base=int(raw["base"]),
                    per_extra_person=int(extra) if extra else None,
                    effective=date.fromisoformat(raw["effective"].strip()),
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{path}, line {line}: {exc}") from exc
            if row.region not in REGIONS:
                raise ValueError(f"{path}, line {line}: unknown region {row.region!r}")
            rows.append(row)
    return tuple(sorted(rows, key=lambda r: r.year))


def round_percent(value: Fraction) -> int:
    """Whole percent, halves rounded up (so 149.5 reads 150, as people round)."""
    return math.floor(value + Fraction(1, 2))


def percent_text(exact: Fraction, limit: int) -> str:
    """Percent for reading next to a limit: whole, unless that hides which side it is on."""
    whole = round_percent(exact)
    if whole != limit or exact == limit:
        return f"{whole}%"
    for digits in (1, 2):
        text = f"{float(exact):.{digits}f}"
        if float(text) != limit:
            return f"{text}%"
    return f"just {'over' if exact > limit else 'under'} {limit}%"


def percent_of_poverty(
    income: float, household_size: int, state: str | None, on_date: date
) -> PovertyResult:
    """Income as a percent of the guideline in effect on `on_date` for the household and state.

    The result says which year and region it used, and why in `note` when it had to fall back.
    """
    if household_size < 1:
        raise ValueError("household_size must be at least 1")
    if income < 0 or not math.isfinite(income):
        raise ValueError("income must be a finite number of dollars, 0 or more")
    return _percent(Fraction(income), household_size, (state or "").upper() or None, on_date)


@lru_cache(maxsize=1024)
def _percent(
    income: Fraction, household_size: int, state: str | None, on_date: date
) -> PovertyResult:
    region = region_of(state)
    notes = []
    if state is None:
        notes.append(f"State not given; used the {REGION_NAMES[region]} guideline.")
    elif state not in _COVERED:
        notes.append(f"HHS publishes no poverty guideline for {state}; used the "
                     f"{REGION_NAMES[region]} guideline.")
    rows = [r for r in load_guidelines() if r.region == region]
    if not rows:
        raise LookupError(f"no poverty guideline for region {region!r}")
    in_effect = [r for r in rows if r.effective <= on_date]
    row = in_effect[-1] if in_effect else rows[0]
    if not in_effect:
        notes.append(f"No guideline was in effect on {on_date.isoformat()}; "
                     f"used the {row.year} guideline.")
    if household_size > 1 and row.per_extra_person is None:
        known = [r for r in rows if r.year <= row.year and r.per_extra_person is not None]
        if not known:
            raise LookupError(f"no per-person add-on known for region {region!r}")
        fallback = known[-1]
        notes.append(f"The {row.year} {REGION_NAMES[region]} amount per extra person is not "
                     f"verified; used the {fallback.year} {REGION_NAMES[region]} guideline.")
        row = fallback
    guideline = row.base + (row.per_extra_person or 0) * (household_size - 1)
    exact = income * 100 / guideline
    return PovertyResult(
        year=row.year, region=region, household_size=household_size, guideline=guideline,
        percent=round_percent(exact), exact_percent=exact, note=" ".join(notes) or None,
    )
