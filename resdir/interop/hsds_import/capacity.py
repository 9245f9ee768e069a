"""HSDS 3.1 `service_capacity` records (a service's `capacities`): the number of openings
available and at most, and when that was said, into the program's capacity fields.

resdir keeps one capacity per program. resdir's own extension attributes (its exports)
say the same and win; other capacities of a program are reported as not kept."""

from __future__ import annotations

from datetime import datetime

from resdir.directory.models import CAPACITY_STATUSES
from resdir.interop.hsds_import.clean import Cleaner
from resdir.interop.hsds_import.plan import Plan
from resdir.interop.hsds_import.tables import Rec

MOST = 100000


def read(plan: Plan, recs: list[Rec], clean: Cleaner) -> None:
    taken: set[str] = set()
    for rec in recs:
        key = rec.get("service_id")
        item = plan.services.get(key)
        if item is None:
            clean.skipped(rec, "service_id", f"{key!r} was not imported (missing or skipped)"
                          if key else "names no program; capacity skipped")
            continue
        if key not in taken and item.values.get("capacity_available") is not None:
            continue  # resdir's own capacity attributes said it (its exports say both)
        if key in taken:
            clean.skipped(rec, "id", "resdir keeps one capacity per program; this one is not "
                                     "kept")
            continue
        available = clean.integer(rec, "available", 0, MOST)
        if available is None:
            clean.skipped(rec, "available", "is required; capacity skipped")
            continue
        taken.add(key)
        status = (rec.get("description") or "").strip().lower()
        item.values.update(
            capacity_available=available,
            capacity_maximum=clean.integer(rec, "maximum", 0, MOST),
            capacity_updated=_when(rec, clean),
            capacity_status=status if status in CAPACITY_STATUSES else (
                "no-capacity" if available == 0 else "capacity"),
        )


def _when(rec: Rec, clean: Cleaner) -> datetime | None:
    raw = rec.get("updated")
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        clean.repaired(rec, "updated", f"{raw!r} is not a date and time; left out")
        return None
