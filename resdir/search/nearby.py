"""The points of each segment sorted by place, for finding those inside a box at once.

A radius search used to read up to 40 grid-cell posting lists from the index (through a
cache per cell), join them, then look each candidate's first point up: about a third of a
search's engine time (issue 12). Here each segment's points are read once into arrays
sorted by a key that groups them in rows of ROW degrees of latitude, and by longitude within
a row: the points inside a box are one contiguous run per row, found by two binary searches
(a 25-mile box spans about eight rows). Nothing is indexed differently: the cells stay in
the index, unused by searches.

Kept per segment (a segment's points never change), beside the segment's own cache, for as
long as that cache lives.
"""

from __future__ import annotations

import math
import weakref

import numpy as np

from resdir.search.segments import NO_FLOATS, NO_IDS

ROW = 0.1  # degrees of latitude per row
STRIDE = 1000.0  # key = row * STRIDE + (lon + 180): rows never overlap (lon + 180 < 1000)
FEW = 64  # points: fewer are all tested at once
SPAN = 4096  # points between a box's first and last run: fewer are tested at once
SLACK = 1e-7  # degrees: the binary searches take a little more; the box test decides

NONE = np.empty(0, dtype=np.int64)
_grids: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Points:
    """Every point of one segment (a program with several locations has several), sorted
    by key: the local docnum of each, its latitude and longitude, and whether its document
    has several points."""

    def __init__(self, docs: np.ndarray, lats: np.ndarray, lons: np.ndarray,
                 several: np.ndarray):
        keys = np.floor(lats / ROW) * STRIDE + (lons + 180.0)
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.docs = docs[order]
        self.lats = lats[order]
        self.lons = lons[order]
        self.several = several[order]
        # The segment's own box: a search far from all its points skips it at once (an
        # edit's small segments, usually).
        self.bounds = ((float(lats.min()), float(lons.min()), float(lats.max()),
                        float(lons.max())) if lats.size else None)

    def in_box(self, box: tuple[float, float, float, float]) -> np.ndarray:
        """Positions (into this object's arrays) of the points inside the box, edges
        included."""
        min_lat, min_lon, max_lat, max_lon = box
        bounds = self.bounds
        if bounds is None or not (bounds[0] <= max_lat and min_lat <= bounds[2]
                                  and bounds[1] <= max_lon and min_lon <= bounds[3]):
            return NONE
        if self.keys.size <= FEW:  # a small segment (an edit's): every point is tested
            lats, lons = self.lats, self.lons
            return np.flatnonzero((min_lat <= lats) & (lats <= max_lat)
                                  & (min_lon <= lons) & (lons <= max_lon))
        first, last = math.floor(min_lat / ROW), math.floor(max_lat / ROW)
        keys = self.keys
        lo = int(keys.searchsorted(first * STRIDE + (min_lon + 180.0 - SLACK), "left"))
        hi = int(keys.searchsorted(last * STRIDE + (max_lon + 180.0 + SLACK), "right"))
        if hi - lo <= SPAN:  # few points from the box's first run to its last: test them all
            lats, lons = self.lats[lo:hi], self.lons[lo:hi]
            inside = ((min_lat <= lats) & (lats <= max_lat)
                      & (min_lon <= lons) & (lons <= max_lon))
            return np.flatnonzero(inside) + lo
        rows = np.arange(first, last + 1) * STRIDE
        starts = self.keys.searchsorted(rows + (min_lon + 180.0 - SLACK), "left")
        ends = self.keys.searchsorted(rows + (max_lon + 180.0 + SLACK), "right")
        sizes = ends - starts
        total = int(sizes.sum())
        if not total:
            return NONE
        # The runs [start, end) of every row as one array of positions.
        firsts = np.repeat(starts - np.concatenate(([0], np.cumsum(sizes)[:-1])), sizes)
        pos = firsts + np.arange(total)
        lats, lons = self.lats[pos], self.lons[pos]
        inside = (min_lat <= lats) & (lats <= max_lat) & (min_lon <= lons) & (lons <= max_lon)
        return pos[inside]


class NearbyPoints:
    """Mixed into View, whose `_leaves` and `keys_used` this uses."""

    def warm_points(self) -> None:
        """Read the points of every segment new since the last view (View.warm_from)."""
        for cache, reader, _, _ in self._leaves:
            points_of(cache, reader)

    def points_in(self, box: tuple[float, float, float, float]):
        """The points inside the box: (docnums, latitudes, longitudes, whether the doc has
        several points), one entry per point (a doc with several points may have several
        entries), deleted docs left out; in no particular order."""
        self.keys_used.add(("points",))
        docs, lats, lons, several = [], [], [], []
        for cache, reader, offset, deleted in self._leaves:
            found = points_of(cache, reader)
            pos = found.in_box(box)
            if not pos.size:
                continue
            local = found.docs[pos]
            if deleted is not None:
                keep = ~deleted[local]
                pos, local = pos[keep], local[keep]
            docs.append(local + offset if offset else local)
            lats.append(found.lats[pos])
            lons.append(found.lons[pos])
            several.append(found.several[pos])
        if len(docs) == 1:
            return docs[0], lats[0], lons[0], several[0]
        if not docs:
            return NO_IDS, NO_FLOATS, NO_FLOATS, np.zeros(0, dtype=bool)
        return (np.concatenate(docs), np.concatenate(lats), np.concatenate(lons),
                np.concatenate(several))


def points_of(cache, reader) -> Points:
    """The Points of a segment (resdir.search.segments.Segment `cache`, read through its
    `reader`), read on first use."""
    found = _grids.get(cache)
    if found is None:
        everyone = np.arange(cache.size, dtype=np.int64)
        cache.load_points(reader, everyone)
        placed = everyone[~np.isnan(cache.lat)]
        single = np.array([d for d in placed.tolist() if d not in cache.multi], dtype=np.int64)
        multi = sorted(cache.multi)
        docs = [single] + [np.full(len(cache.multi[d]), d, dtype=np.int64) for d in multi]
        lats = [cache.lat[single]] + [np.array([p[0] for p in cache.multi[d]]) for d in multi]
        lons = [cache.lon[single]] + [np.array([p[1] for p in cache.multi[d]]) for d in multi]
        several = np.zeros(sum(len(d) for d in docs), dtype=bool)
        several[single.size:] = True
        docs, lats, lons = np.concatenate(docs), np.concatenate(lats), np.concatenate(lons)
        real = ~(np.isnan(lats) | np.isnan(lons))  # (none is NaN: no box holds one anyway)
        found = Points(docs[real], lats[real].astype(np.float64),
                       lons[real].astype(np.float64), several[real])
        _grids[cache] = found
    return found
