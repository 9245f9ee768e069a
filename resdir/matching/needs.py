"""Gravity SDOH need codes and their crosswalk to our categories (data/sdoh_needs.csv)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from resdir.basics import ROOT

NEEDS_FILE = ROOT / "data" / "sdoh_needs.csv"
MAX_WORDS = 3  # phrases per need that matching reads (resdir/matching/topics.py)


@dataclass(frozen=True)
class Need:
    code: str
    display: str
    categories: tuple[str, ...]
    open_eligibility: tuple[str, ...]
    # What the need is about, in the words programs use, most telling first ("domestic
    # violence" for intimate partner violence): its categories are broader (Safety and Legal
    # help also hold police and public defenders), so matching lists first the programs that
    # say one of these. At most MAX_WORDS are read; the first is searched, the others are
    # read in each candidate program.
    words: tuple[str, ...] = ()


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split(";") if p.strip())


@lru_cache(maxsize=4)
def _read(path: Path, mtime_ns: int) -> tuple[Need, ...]:
    with path.open(newline="", encoding="utf-8") as handle:
        return tuple(
            Need(code=row["code"].strip(), display=row["display"].strip(),
                 categories=_split(row["categories"]),
                 open_eligibility=_split(row["open_eligibility"]),
                 words=_split(row.get("words"))[:MAX_WORDS])
            for row in csv.DictReader(handle)
        )


def load_needs(path: Path | None = None) -> dict[str, Need]:
    """Need code -> Need, in file order. Re-read when the file changes (admins edit it)."""
    path = Path(path or NEEDS_FILE)
    return {need.code: need for need in _read(path, path.stat().st_mtime_ns)}
