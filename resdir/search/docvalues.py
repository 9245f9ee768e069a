"""Per-document values of a view (points, opening hours and closures, names),
read from each segment's cache (resdir/search/segments.py)."""

from __future__ import annotations

import math

import numpy as np

from resdir.search.segments import opening


class DocumentValues:
    """Mixed into View, whose `size`, `searcher`, `_leaves`, `_split`, `_leaf_of`, `_join`
    and `_name_rank` these read and fill."""

    def points(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First point (lat, lon) of each doc, NaN if none (see several_points)."""
        lat, lon = np.full(docs.size, np.nan), np.full(docs.size, np.nan)
        for cache, reader, pos, local in self._split(docs):
            cache.load_points(reader, local)
            lat[pos], lon[pos] = cache.lat[local], cache.lon[local]
        return lat, lon

    def several_points(self) -> np.ndarray:
        """Sorted docnums of the docs loaded so far that have more than one point."""
        return self._join([np.array(sorted(c.multi), dtype=np.int64)
                           for c, _, _, _ in self._leaves])

    def all_points(self, docnum: int) -> list[tuple[float, float]]:
        cache, reader, local = self._leaf_of(docnum)
        cache.load_points(reader, np.array([local], dtype=np.int64))
        if local in cache.multi:
            return cache.multi[local]
        if math.isnan(cache.lat[local]):
            return []
        return [(float(cache.lat[local]), float(cache.lon[local]))]

    def opening(self, docnum: int) -> tuple[list, list]:
        """The document's stored hours, ([weekly spans], [closures]), read each time."""
        _, reader, local = self._leaf_of(docnum)
        return opening(reader, local)

    def closures(self, docnum: int) -> tuple[tuple[str, str], ...]:
        """The document's dated closures ((first, last) ISO days), kept per segment."""
        cache, reader, local = self._leaf_of(docnum)
        return cache.closures(reader, local)

    def stored_fields(self, docnum: int) -> dict:
        return self.searcher.stored_fields(docnum)

    def sort_names(self, docs: np.ndarray) -> list[bytes]:
        """The casefolded names `docs` sort by (read once per segment and kept with it)."""
        out = [b""] * docs.size
        for cache, reader, pos, local in self._split(docs):
            names = cache.sort_names(reader)
            for p, d in zip(pos.tolist(), local.tolist(), strict=True):
                out[p] = names[d]
        return out

    def name_rank(self) -> np.ndarray:
        """Each doc's place in (name, docnum) order."""
        if self._name_rank is None:
            names = [n for c, r, _, _ in self._leaves for n in c.sort_names(r)]
            order = sorted(range(self.size), key=lambda d: (names[d], d))
            rank = np.empty(self.size, dtype=np.int64)
            rank[np.array(order, dtype=np.int64)] = np.arange(self.size)
            self._name_rank = rank
        return self._name_rank
