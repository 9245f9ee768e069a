"""What was read from each index segment, kept across searchers.

A Whoosh index is a list of segments; a write adds a small segment and marks replaced
documents deleted in the old ones, whose files never change otherwise. So everything read
from a segment (posting lists, term frequencies, field lengths, points, ids, hours) is kept
per segment id and reused by the next searcher: after a write only the new segment is read,
and the first searches after it run at warm speed instead of walking every posting list
again (issue 12: ~350 ms, then 8.4x slower for ~200 searches).

Arrays here hold local docnums (0-based within the segment). Deletions only ever grow, so
an array read when fewer documents were deleted is still right once the view leaves out
the documents deleted since (View does, with each segment's current deletions).

Locking: entries are immutable numpy arrays (or tuples of them) computed outside any lock
and published by one dict assignment, atomic under the GIL; two threads may compute the same
entry at once, with the same result. Only the bounded caches (`Bounded`: an OrderedDict
reordered on every hit) take a lock; the per-document arrays filled in place (lengths,
points) get the same values from whichever thread writes them, a "loaded" flag set after.
"""

from __future__ import annotations

import json
import threading

import numpy as np

from resdir.search.held import column
from resdir.search.kept import Bounded, PackedNames
from resdir.search.postings import postings_bytes, read_postings
from resdir.search.schema import unpack_points

NO_IDS = np.empty(0, dtype=np.int64)
NO_FLOATS = np.empty(0, dtype=np.float64)
POSTINGS_CACHE = 8192  # content/title terms whose postings a segment keeps ...
# ... and postings in all: 40 per document of the segment (about all its content and title
# postings), at least 400,000, at 5 bytes each (resdir/search/postings.py: 20 MB at
# 100,000 programs; 64 MB as int64 and float64). A count alone was too few terms for a
# small directory (at 10,000 programs, 5,000 varied queries touch 671 terms, 300,000
# postings: with 512 kept, every search re-read some from the index, a quarter of the
# engine's time). 16 per document made searches at 100,000 programs re-read postings from
# the index (engine p95 3 -> 14 ms), so the bound is memory against leaks, not a tuning.
POSTINGS_PER_DOC = 40
POSTINGS_FLOOR = 400_000
POSTING_BYTES = 5  # an int32 docnum and a uint8 count


def postings_budget(docs: int) -> int:
    """Bytes of posting lists kept for `docs` documents (weighed by postings_bytes)."""
    return POSTING_BYTES * max(POSTINGS_FLOOR, POSTINGS_PER_DOC * docs)


def opening(reader, docnum: int) -> tuple[list, list]:
    """A document's stored hours: ([weekly spans], [closures]) (not kept)."""
    return tuple(json.loads(reader.stored_fields(docnum).get("hours") or "[[],[]]"))


class Segment:
    """The cached reads of one segment; `reader` is a current reader of that segment."""

    def __init__(self, size: int):
        self.size = size
        self.ids: dict[tuple[str, str], np.ndarray] = {}
        # (field, text) -> (docnums, frequencies)
        self.postings = Bounded(POSTINGS_CACHE, postings_budget(size), postings_bytes)
        self.lengths: dict[str, np.ndarray] = {}
        self.lat = np.full(size, np.nan)
        self.lon = np.full(size, np.nan)
        self.geo_loaded = np.zeros(size, dtype=bool)
        self.multi: dict[int, list[tuple[float, float]]] = {}
        # Ids as UTF-8 in one fixed-width array ("" until read; widened for a longer id):
        # 36 bytes a program, where a dict of str took about 150.
        self.doc_ids = np.zeros(size, dtype="S36")
        # Dated closures by docnum, equal lists one shared tuple (the public holidays and
        # an agency's closures repeat across programs): the parsed JSON of each program's
        # hours took about 1.4 kB (17 MB after 6,000 varied searches at 100,000).
        self.closed: dict[int, tuple] = {}
        self.shared_closures: dict[tuple, tuple] = {}
        self.names: PackedNames | None = None

    def term_ids(self, reader, field: str, text: str) -> np.ndarray:
        """Docnums (int32) of a filter term; only ever used to fill masks."""
        key = (field, text)
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = read_postings(reader, field, text)[0]
        return found

    def term_postings(self, reader, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        key = (field, text)
        got = self.postings.get(key)
        if got is not None:
            return got
        got = read_postings(reader, field, text)  # int32 docnums, compact counts
        self.postings.put(key, got)
        return got

    def field_lengths(self, reader, docs: np.ndarray, field: str) -> np.ndarray:
        """Byte-quantised lengths as Whoosh's scorer sees them."""
        cache = self.lengths.get(field)
        if cache is None:
            cache = self.lengths.setdefault(field, np.full(self.size, np.nan))
        out = cache[docs]
        missing = np.isnan(out)
        if missing.any():
            length = reader.doc_field_length
            for d in docs[missing].tolist():
                cache[d] = length(d, field, 1)
            out = cache[docs]
        return out

    def load_points(self, reader, docs: np.ndarray) -> None:
        todo = docs[~self.geo_loaded[docs]]
        if not todo.size:
            return
        points = column(reader, "geo")
        for d in todo.tolist():
            pts = unpack_points(points[d]) if points is not None else None
            if pts:
                self.lat[d], self.lon[d] = pts[0]
                if len(pts) > 1:
                    self.multi[d] = pts
        self.geo_loaded[todo] = True

    def doc_id(self, reader, docnum: int) -> str:
        got = self.doc_ids[docnum]
        if got:
            return got.decode()
        found = reader.stored_fields(docnum)["id"]
        raw = found.encode()
        if raw.endswith(b"\0"):  # numpy would drop it: not kept
            return found
        if len(raw) > self.doc_ids.dtype.itemsize:
            self.doc_ids = self.doc_ids.astype(f"S{len(raw)}")
        self.doc_ids[docnum] = raw
        return found

    def closures(self, reader, docnum: int) -> tuple[tuple[str, str], ...]:
        """The document's dated closures, ((first ISO day, last ISO day), ...)."""
        got = self.closed.get(docnum)
        if got is None:
            got = tuple(tuple(span) for span in opening(reader, docnum)[1])
            got = self.closed[docnum] = self.shared_closures.setdefault(got, got)
        return got

    def sort_names(self, reader) -> PackedNames:
        """Every document's casefolded name (indexable by local docnum, iterable)."""
        if self.names is None:
            names = column(reader, "name_sort") if self.size else None
            self.names = PackedNames([names[d] for d in range(self.size)] if names is not None
                                     else [b""] * self.size)
        return self.names


class SegmentStore:
    """Segment caches by segment id, for the successive searchers of one index folder."""

    def __init__(self):
        self._lock = threading.Lock()
        self._segments: dict[str, Segment] = {}

    def leaves(self, reader) -> list[tuple[Segment, object, int, np.ndarray | None]]:
        """(cache, segment reader, docnum offset, deleted mask or None) for each segment
        of `reader`; caches of segments no longer in the index are dropped."""
        out, seen = [], set()
        with self._lock:
            for leaf, offset in reader.leaf_readers():
                segid = leaf.segment().segment_id() if leaf.segment() is not None else None
                size = leaf.doc_count_all()
                cache = self._segments.get(segid) if segid else None
                if cache is None or cache.size != size:
                    cache = Segment(size)
                    if segid:
                        self._segments[segid] = cache
                deleted = None
                if leaf.has_deletions():
                    deleted = np.zeros(size, dtype=bool)
                    deleted[np.fromiter(leaf.deleted_docs_set, dtype=np.int64)] = True
                out.append((cache, leaf, offset, deleted))
                seen.add(segid)
            for segid in set(self._segments) - seen:
                del self._segments[segid]
        return out
