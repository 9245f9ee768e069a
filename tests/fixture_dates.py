"""The fixtures' verification dates, kept as old as they were when the tests were written.

A program turns stale RESDIR_STALE_AFTER_DAYS (180) after it was last verified, and a stale
program ranks lower and says so on its page. The fixtures hold fixed dates, so with time
each would turn stale in turn and change what the tests see (the first in January 2027).
So every verification date moves with the calendar: a test sees each program exactly as
old as it was on the day the fixtures were written. Closures and other dates do not move:
the tests that use them name the day they ask about."""

from __future__ import annotations

import csv
import os
import tempfile
from datetime import date
from pathlib import Path

WRITTEN = date(2026, 12, 2)
SOURCE = Path(__file__).resolve().parent / "data" / "mini.csv"


def as_of_today(day: date) -> date:
    """`day` moved by as many days as have passed since the fixtures were written."""
    return day + (date.today() - WRITTEN)


def _mini_csv() -> Path:
    """tests/data/mini.csv with its `assured_date` cells moved (as_of_today), in one
    folder per day shared by every test process (each writes the same content and swaps it
    in whole), so runs leave no folder per process behind."""
    with SOURCE.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, list(reader)
    for row in rows:
        if row["assured_date"]:
            row["assured_date"] = as_of_today(date.fromisoformat(row["assured_date"])).isoformat()
    folder = Path(tempfile.gettempdir()) / f"resdir-fixtures-{date.today().isoformat()}"
    folder.mkdir(exist_ok=True)
    target = folder / SOURCE.name
    partial = folder / f"{SOURCE.name}.{os.getpid()}"
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    partial.replace(target)
    return target


MINI_CSV = _mini_csv()
