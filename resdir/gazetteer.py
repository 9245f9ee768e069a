"""The offline ZIP gazetteer as a few compact arrays (about 3 MB per process).

The source is the `zipcodes` package (MIT licence; 42,789 US ZIPs). Asking it for all of
them builds 42,789 dicts (147 MB and 214,000 objects that every full garbage collection
walks, in every worker), and loading its own tables costs 40 MB and half a second. So resdir
keeps the columns it uses, once, in `zips.tsv.gz` beside this module (the ZIPs with a known
place, sorted), and reads that into numpy arrays: ZIP numbers, latitudes, longitudes, and
indexes into tuples of the distinct cities, counties, states and time zones. A lookup is a
binary search. `tests/test_geo.py` checks the file against `zipcodes`; after upgrading
`zipcodes`, write it again:

    .venv/bin/python -m resdir.gazetteer
"""

from __future__ import annotations

import gzip
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import zipcodes

DATA_FILE = Path(__file__).with_name("zips.tsv.gz")
COLUMNS = ("zip", "lat", "long", "city", "county", "state", "timezone")


@dataclass(frozen=True)
class Place:
    zip: str
    latitude: float
    longitude: float
    city: str
    county: str
    state: str
    timezone: str | None


def _codes(values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values (one fixed-width numpy array: no Python string per value, so the
    parsing garbage around them can be given back) and each row's index into them."""
    distinct = sorted(set(values))
    index = {v: i for i, v in enumerate(distinct)}
    return np.array(distinct, dtype=str), np.array([index[v] for v in values], dtype=np.int32)


class Gazetteer:
    """ZIP -> Place over sorted arrays; rows are (zip, lat, long, city, county, state, tz)
    text fields as `zipcodes` spells them."""

    def __init__(self, rows: list[list[str]]):
        rows = sorted(rows)
        self.zips = np.array([int(r[0]) for r in rows], dtype=np.int32)
        self.lat = np.array([float(r[1]) for r in rows])
        self.lon = np.array([float(r[2]) for r in rows])
        self.cities, self._city = _codes([r[3] for r in rows])
        self.counties, self._county = _codes([r[4] for r in rows])
        self.states, self._state = _codes([r[5] for r in rows])
        self.timezones, self._tz = _codes([r[6] for r in rows])

    def __len__(self) -> int:
        return int(self.zips.size)

    def get(self, code: str) -> Place | None:
        """The place of a 5-digit ZIP, or None when unknown."""
        if len(code) != 5 or not code.isdigit():
            return None
        number = int(code)
        i = int(np.searchsorted(self.zips, number))
        if i >= self.zips.size or self.zips[i] != number:
            return None
        return Place(
            zip=code,
            latitude=float(self.lat[i]),
            longitude=float(self.lon[i]),
            city=str(self.cities[self._city[i]]),
            county=str(self.counties[self._county[i]]),
            state=str(self.states[self._state[i]]),
            timezone=str(self.timezones[self._tz[i]]) or None,
        )


@lru_cache(maxsize=1)
def load(path: Path = DATA_FILE) -> Gazetteer:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return Gazetteer([line.split("\t") for line in handle.read().splitlines() if line])


def rows_from_zipcodes() -> list[list[str]]:
    """The rows `zipcodes` gives, without ZIPs that have no place: those without
    coordinates, and APO/FPO and others it stores at (0, 0)."""
    rows = []
    for row in zipcodes.list_all():
        if not row.get("lat") or not row.get("long"):
            continue
        if float(row["lat"]) == 0.0 and float(row["long"]) == 0.0:
            continue
        rows.append([row["zip_code"], row["lat"], row["long"], row.get("city") or "",
                     row.get("county") or "", row.get("state") or "",
                     row.get("timezone") or ""])
    return sorted(rows)


def write(path: Path = DATA_FILE) -> int:
    rows = rows_from_zipcodes()
    text = "".join("\t".join(r) + "\n" for r in rows)
    # mtime=0: the same data gives the same bytes (no spurious change in git).
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(text.encode("utf-8"))
    return len(rows)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger(__name__).info("wrote %d ZIPs to %s", write(), DATA_FILE)
