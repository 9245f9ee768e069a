"""The Whoosh schema and how a Document becomes index fields."""

from __future__ import annotations

import json
import math

from whoosh import fields
from whoosh.analysis import StemmingAnalyzer

from resdir.search.types import Document

ANALYZER = StemmingAnalyzer(minsize=2)

# Grid cells in degrees, finest first. A radius query uses the finest size that covers
# its box in a few dozen cells.
CELL_SIZES = (0.05, 0.2, 1.0, 5.0)
MAX_AGE = 120


def make_schema() -> fields.Schema:
    return fields.Schema(
        id=fields.ID(unique=True, stored=True),
        stamp=fields.STORED(),
        # phrase=False: no positions, since queries are plain words (smaller, faster).
        content=fields.TEXT(analyzer=ANALYZER, phrase=False, spelling=True),
        name_sort=fields.ID(sortable=True),
        category=fields.KEYWORD(scorable=False),
        language=fields.KEYWORD(scorable=False),
        status=fields.ID(),
        capacity=fields.ID(),
        age=fields.KEYWORD(scorable=False),
        cell=fields.KEYWORD(scorable=False),
        slot=fields.KEYWORD(scorable=False),
        tz=fields.ID(),
        geo=fields.STORED(),
        hours=fields.STORED(),
    )


def cell_key(level: int, lat: float, lon: float) -> str:
    size = CELL_SIZES[level]
    return f"{level}:{math.floor(lat / size)}:{math.floor(lon / size)}"


def cells_for_points(points: list[tuple[float, float]]) -> set[str]:
    return {cell_key(level, lat, lon) for lat, lon in points for level in range(len(CELL_SIZES))}


def cells_covering(box: tuple[float, float, float, float], max_cells: int = 40) -> list[str]:
    """Cell keys covering a (min_lat, min_lon, max_lat, max_lon) box at the finest level
    that needs no more than `max_cells` cells (the coarsest otherwise)."""
    min_lat, min_lon, max_lat, max_lon = box
    for level, size in enumerate(CELL_SIZES):
        rows = range(math.floor(min_lat / size), math.floor(max_lat / size) + 1)
        cols = range(math.floor(min_lon / size), math.floor(max_lon / size) + 1)
        if len(rows) * len(cols) <= max_cells or level == len(CELL_SIZES) - 1:
            return [f"{level}:{r}:{c}" for r in rows for c in cols]
    raise AssertionError("unreachable")


def slot_terms(open_minutes: list[tuple[int, int]] | None) -> list[str]:
    """Hour-of-week terms: `fN` when open the whole hour N, `pN` when open part of it."""
    if not open_minutes:
        return []
    covered = [0] * 168
    for start, end in open_minutes:
        for hour in range(start // 60, min(167, (end - 1) // 60) + 1):
            lo, hi = max(start, hour * 60), min(end, hour * 60 + 60)
            covered[hour] += max(0, hi - lo)
    if all(c >= 60 for c in covered):
        return ["always"]
    return [("f" if c >= 60 else "p") + str(h) for h, c in enumerate(covered) if c > 0]


def age_terms(minimum: int | None, maximum: int | None) -> list[str]:
    if minimum is None and maximum is None:
        return ["any"]
    low = max(0, minimum or 0)
    high = min(MAX_AGE, MAX_AGE if maximum is None else maximum)
    return [str(a) for a in range(low, high + 1)]


def to_fields(doc: Document) -> dict:
    """Return the keyword arguments of `writer.update_document` for one program."""
    # The name twice: a word in the name matters more than one in the description.
    content = " ".join(
        [doc.name, doc.name, doc.organization, " ".join(doc.category_names), doc.text]
    )
    slots = slot_terms(doc.open_minutes)
    return {
        "id": doc.id,
        "stamp": doc.stamp,
        "content": content,
        "name_sort": doc.name.casefold()[:100] or " ",
        "category": " ".join(doc.categories),
        "language": " ".join(doc.languages),
        "status": doc.status.replace(" ", "_"),
        "capacity": doc.capacity or "unknown",
        "age": " ".join(age_terms(doc.minimum_age, doc.maximum_age)),
        "cell": " ".join(sorted(cells_for_points(doc.points))),
        "slot": " ".join(slots + (["closures"] if doc.closures and slots else [])),
        "tz": doc.timezone,
        "geo": ";".join(f"{lat:.5f},{lon:.5f}" for lat, lon in doc.points),
        "hours": json.dumps([doc.open_minutes or [], doc.closures], separators=(",", ":")),
    }
