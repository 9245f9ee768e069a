"""BM25 of a scored field's term (content or title) over a query's candidates.

Whoosh's BM25F for a term in a document is idf * f(tf, length), where tf is the term's
count in the document (a small whole number: resdir/search/postings.py keeps counts as
uint8) and length is the document's byte-quantised field length (one of 255 values, stored
as that byte). So for each view and field, f is worked out once for every (count, length
byte) pair, in Whoosh's order of operations (the same bits as computing it per hit), and a
query looks each hit's value up: no per-hit lengths read, no formula per hit, and nothing
kept per term (issue 12: scoring each query's hits was most of its text-matching time).
"""

from __future__ import annotations

import weakref

import numpy as np
from whoosh.codec import whoosh3
from whoosh.util.numeric import byte_to_length

# byte_to_length of each length byte; 0 is "no length" (a document without the field,
# which has no postings in it either).
_LENGTH_OF_BYTE = np.array([np.nan] + [byte_to_length(b) for b in range(1, 256)])
_COUNTS = np.arange(256, dtype=np.float64)[:, None]  # every uint8 count, as floats
_length_bytes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def length_bytes(cache, reader, field: str) -> np.ndarray:
    """The segment's length byte of each document in the field (uint8; 0 for none), read
    once per segment (resdir.search.segments.Segment `cache`) from Whoosh's length column."""
    kept = _length_bytes.get(cache)
    if kept is None:
        kept = _length_bytes[cache] = {}
    found = kept.get(field)
    if found is None:
        found = np.zeros(cache.size, dtype=np.uint8)
        perdoc = getattr(reader, "_perdoc", None)  # None: an empty segment
        column = (perdoc._cached_reader(whoosh3._lenfield(field), whoosh3.LENGTHS_COLUMN)
                  if perdoc is not None else None)
        if column is not None:
            stored = np.frombuffer(bytes(column.load()), dtype=np.uint8)[: cache.size]
            found[: stored.size] = stored
        kept[field] = found
    return found


_TABLES = {"content": "bm25 content", "title": "bm25 title"}  # View.derived names
_TABLE_MAKERS = {field: (lambda view, field=field: view._bm25_table(field)) for field in _TABLES}


class ScoredTerms:
    """Mixed into View, whose `_leaves`, `_starts`, `_last_parts`, `searcher`, `derived`,
    `average_length` and `bm25_parameters` these use."""

    def term_hits(self, text: str, field: str, cand: np.ndarray):
        """(hit, score) for each of `cand` (sorted docnums of documents not deleted): whether
        it has the term in the field, and its BM25 for it (0 where it has not)."""
        if not cand.size:
            return np.zeros(0, dtype=bool), np.zeros(0)
        parts = self._parts_of(cand)
        whole = len(parts) == 1
        if not whole:
            hit, score = np.zeros(cand.size, dtype=bool), np.zeros(cand.size)
        for i, lo, hi in parts:
            cache, reader, offset, _ = self._leaves[i]
            ids, counts = cache.term_postings(reader, field, text)
            if not ids.size:
                if whole:
                    return np.zeros(cand.size, dtype=bool), np.zeros(cand.size)
                continue
            local = cand[lo:hi] - offset if offset else cand[lo:hi]
            pos = ids.searchsorted(local)
            np.minimum(pos, ids.size - 1, out=pos)
            found = ids[pos] == local
            got = self._bm25(text, field, cache, reader, counts, pos, local, found)
            if whole:
                return found, got
            hit[lo:hi], score[lo:hi] = found, got
        return hit, score

    def _parts_of(self, cand: np.ndarray) -> list[tuple[int, int, int]]:
        """(segment, start, stop) of each segment's candidates: `cand` is sorted, so they
        are one slice of it. Kept for the last `cand` (a search scores every term of its
        query on the same candidates; a view is searched by one thread at a time)."""
        last = self._last_parts
        if last is not None and last[0] is cand:
            return last[1]
        cuts = cand.searchsorted(self._starts).tolist()
        cuts.append(cand.size)
        parts = [(i, lo, hi) for i, (lo, hi) in enumerate(zip(cuts, cuts[1:], strict=False))
                 if hi > lo]
        self._last_parts = (cand, parts)
        return parts

    def _bm25(self, text, field, cache, reader, counts, pos, local, found) -> np.ndarray:
        """BM25 of the term for each of `local` (a segment's docnums) where `found` (their
        postings at `pos`), 0 elsewhere."""
        idf = self.searcher.idf(field, text)  # kept by Whoosh's searcher
        if counts.dtype == np.uint8:
            table = self.derived(_TABLES[field], _TABLE_MAKERS[field])
            factor = table[counts[pos], length_bytes(cache, reader, field)[local]]
            return np.where(found, idf * factor, 0.0)
        # Counts that are not small whole numbers (never seen): Whoosh's formula per hit.
        b, k1 = self.bm25_parameters()
        avgfl = self.average_length(field)
        tf = counts[pos[found]]
        fl = _LENGTH_OF_BYTE[length_bytes(cache, reader, field)[local[found]]]
        score = np.zeros(local.size)
        score[found] = idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))
        return score

    def _bm25_table(self, field: str) -> np.ndarray:
        """f(count, length byte) for every pair: Whoosh's BM25F without the idf, each value
        computed as Whoosh's formula computes it for one hit."""
        b, k1 = self.bm25_parameters()
        avgfl = self.average_length(field)
        tf, fl = _COUNTS, _LENGTH_OF_BYTE[None, :]
        with np.errstate(invalid="ignore"):  # the NaN column: length byte 0, never a hit
            return (tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl))
