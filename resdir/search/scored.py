"""BM25 of a scored field's term (content or title) over a query's candidates, from scores
worked out once per term and segment while a view is current.

A term's BM25 for a document (Whoosh's BM25F: idf, the document's byte-quantised length,
the field's average length, B and K1) is the same in every query until the index changes,
so each segment's postings of the term get their scores once, beside the segment's own
docnums (no joined copy), and a query only looks its candidates up (issue 12: computing
them per query, with each hit's length looked up again, was most of the text scoring).
"""

from __future__ import annotations

import numpy as np

from resdir.search.segments import NO_FLOATS


class ScoredTerms:
    """Mixed into View, whose `_leaves`, `_starts`, `_scores`, `keys_used`, `idf`,
    `average_length` and `bm25_parameters` these use."""

    def term_hits(self, text: str, field: str, cand: np.ndarray):
        """(hit, score) for each of `cand` (sorted docnums of documents not deleted): whether
        it has the term in the field, and its BM25 for it (0 where it has not)."""
        if not cand.size:
            return np.zeros(0, dtype=bool), np.zeros(0)
        self.keys_used.add(("scores", field, text))
        # cand is sorted: each segment's candidates are one slice of it.
        cuts = cand.searchsorted(self._starts).tolist()
        cuts.append(cand.size)
        parts = [(i, lo, hi) for i, (lo, hi) in enumerate(zip(cuts, cuts[1:], strict=False))
                 if hi > lo]
        whole = len(parts) == 1
        if not whole:
            hit, score = np.zeros(cand.size, dtype=bool), np.zeros(cand.size)
        for i, lo, hi in parts:
            ids, scores = self._segment_scores(i, field, text)
            if not ids.size:
                if whole:
                    return np.zeros(cand.size, dtype=bool), np.zeros(cand.size)
                continue
            offset = self._leaves[i][2]
            local = cand[lo:hi] - offset if offset else cand[lo:hi]
            pos = ids.searchsorted(local)
            np.minimum(pos, ids.size - 1, out=pos)
            found = ids[pos] == local
            got = np.where(found, scores[pos], 0.0)
            if whole:
                return found, got
            hit[lo:hi], score[lo:hi] = found, got
        return hit, score

    def _segment_scores(self, i: int, field: str, text: str):
        """The docnums (local to segment i) that have the term, and each one's BM25."""
        key = (i, field, text)
        found = self._scores.get(key)
        if found is None:
            cache, reader, _, _ = self._leaves[i]
            ids, tfs = cache.term_postings(reader, field, text)
            if ids.size:
                b, k1 = self.bm25_parameters()
                idf = self.idf(text, field)
                avgfl = self.average_length(field)
                fl = cache.field_lengths(reader, ids, field)
                # Whoosh's formula, in the order scoring.evaluate computed it per query
                # (the same bits).
                found = ids, idf * ((tfs * (k1 + 1)) / (tfs + k1 * ((1 - b) + b * fl / avgfl)))
            else:
                found = ids, NO_FLOATS
            self._scores.put(key, found)
        return found

    def warm_scores(self, field: str, text: str) -> None:
        """Work out a term's scores in every segment (View.warm_from)."""
        for i in range(len(self._leaves)):
            self._segment_scores(i, field, text)
