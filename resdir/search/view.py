"""View: one open searcher, and the arrays a query needs over its documents.

This is the whole surface the query code (scoring.py, relevance.py, engine.py) uses:
posting lists as sorted docnum arrays, term masks, term statistics for BM25, per-document
values (points, lengths, ids, opening hours) and the "did you mean" word list. Docnums are
the searcher's (segment offset + local docnum). What is read from a segment is kept in
resdir.search.segments and shared with the next view of the same index, so a view itself
only assembles arrays (and caches them while it is current).

Locking: the same rule as segments.py. A view's own caches hold immutable arrays published
by one dict assignment; the bounded caches (postings: `Bounded`; open masks) take a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from whoosh.scoring import BM25F

from resdir.search.docvalues import DocumentValues
from resdir.search.held import column
from resdir.search.kept import PackedAnswers
from resdir.search.nearby import NearbyPoints
from resdir.search.postings import postings_bytes
from resdir.search.schema import VOCABULARY_FILE, VOCABULARY_STAMP
from resdir.search.scored import ScoredTerms
from resdir.search.segments import (
    NO_FLOATS,
    NO_IDS,
    POSTINGS_CACHE,
    Bounded,
    SegmentStore,
    postings_budget,
)
from resdir.search.spelled import SpelledValues
from resdir.search.words import read_words


class View(SpelledValues, DocumentValues, ScoredTerms, NearbyPoints):
    """One open searcher and what was read from it; replaced when the index changes."""

    def __init__(self, searcher, folder: Path | None = None, store: SegmentStore | None = None,
                 answers: int = 0):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.size = self.reader.doc_count_all()
        self.folder = folder
        self._leaves = (store or SegmentStore()).leaves(self.reader)
        self._lock = threading.Lock()
        # Held by whoever reads through this searcher (SearchIndex.using_view): segment
        # files are read without mmap, by seek-then-read on one file object per segment,
        # so two threads reading at once get each other's bytes (UnpicklingError, a 500
        # under gunicorn's two threads; bench/load.py found it).
        self.reading = threading.Lock()
        self._ids: dict[tuple[str, str], np.ndarray] = {}
        self._masks: dict[tuple, np.ndarray] = {}
        self._lexicons: dict[str, list[str]] = {}
        # (field, text) -> (docnums, frequencies): the segment's own arrays when there is
        # one segment without deletions (no copy), joined copies otherwise: a quarter of
        # the segments' budget (joining again from their caches costs little).
        self._postings = Bounded(POSTINGS_CACHE, postings_budget(self.size) // 4,
                                 postings_bytes)
        self._frequencies = Bounded(4096)  # (field, text) -> documents with the term
        self._last_parts = None  # scored.ScoredTerms._parts_of
        self._average_lengths: dict[str, float] = {}
        self._starts = np.array([offset for _, _, offset, _ in self._leaves], dtype=np.int64)
        self._live: np.ndarray | None = None
        self._derived: dict[str, object] = {}  # derived(): arrays made from masks ...
        self._makers: dict[str, object] = {}  # ... and how (warm_from makes them again)
        self._multi: np.ndarray | None = None
        self._verified: np.ndarray | None = None
        self._vocabulary: bool | None = None
        self._name_rank: np.ndarray | None = None
        self._weeks: list[tuple[str, list]] | None = None
        self.keys_used: set[tuple] = set()  # what warm() replays on the next view
        # The index folders' modification times when this view was last found current
        # (SearchIndex._fresh).
        self.folder_times: tuple[int, int] | None = None
        self.answers = PackedAnswers(answers)  # whole answers (SearchIndex.remembered)

    # -- assembling per-segment arrays -----------------------------------------------

    def _join(self, parts: list[np.ndarray], values: list[np.ndarray] | None = None):
        """Global docnums (and values) from each segment's local arrays, deleted left out."""
        ids_out, values_out = [], []
        for i, (_, _, offset, deleted) in enumerate(self._leaves):
            local = parts[i]
            if not local.size:
                continue
            keep = None if deleted is None else ~deleted[local]
            local = local if keep is None else local[keep]
            ids_out.append(local + offset if offset else local)
            if values is not None:
                values_out.append(values[i] if keep is None else values[i][keep])
        ids = (NO_IDS if not ids_out else ids_out[0] if len(ids_out) == 1
               else np.concatenate(ids_out))
        if values is None:
            return ids
        return ids, (NO_FLOATS if not values_out else values_out[0] if len(values_out) == 1
                     else np.concatenate(values_out))

    def _leaf_of(self, docnum: int):
        """(segment cache, reader, local docnum) of a global docnum."""
        for cache, reader, offset, _ in reversed(self._leaves):
            if docnum >= offset:
                return cache, reader, docnum - offset
        raise IndexError(docnum)

    def page_of(self, docs: list[int], shown: bool) -> list[tuple[str, bytes | None]]:
        """Each doc's id, with its `shown` JSON as stored (b"" when it was written without
        one) if `shown`, else None: what a page of hits shows, read in one pass."""
        out = []
        columns: dict[int, object] = {}  # id(reader) -> its shown column, once a page
        for docnum in docs:
            cache, reader, local = self._leaf_of(docnum)
            text = None
            if shown:
                if id(reader) not in columns:
                    columns[id(reader)] = column(reader, "shown")
                col = columns[id(reader)]
                text = col[local] if col is not None else b""
            out.append((cache.doc_id(reader, local), text))
        return out

    def _split(self, docs: np.ndarray):
        """For each segment: (cache, reader, positions in `docs`, local docnums)."""
        if len(self._leaves) == 1:  # the usual case: every doc, as it is
            cache, reader, offset, _ = self._leaves[0]
            if docs.size:
                yield cache, reader, np.arange(docs.size), docs - offset if offset else docs
            return
        which = np.searchsorted(self._starts, docs, side="right") - 1
        for i, (cache, reader, offset, _) in enumerate(self._leaves):
            pos = np.flatnonzero(which == i)
            if pos.size:
                yield cache, reader, pos, docs[pos] - offset

    # -- postings and masks -------------------------------------------------------

    def ids(self, field: str, text: str) -> np.ndarray:
        """Sorted docnums (deleted ones left out) that have the term."""
        key = (field, text)
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = self._join(
                [c.term_ids(r, field, text) for c, r, _, _ in self._leaves])
            self.keys_used.add(("ids", field, text))
        return found

    def mask(self, field: str, text: str) -> np.ndarray:
        """The term's docs as a boolean array over all docnums."""
        key = ("term", field, text)
        found = self._masks.get(key)
        if found is None:
            found = np.zeros(self.size, dtype=bool)
            found[self.ids(field, text)] = True
            self._masks[key] = found
        return found

    def any_mask(self, field: str, texts: Iterable[str]) -> np.ndarray:
        """The docs with any of the terms. Several terms' mask is not kept: there are
        thousands of combinations (of 12 categories alone), each 100 kB at 100,000
        programs, and or-ing the terms' kept masks again takes microseconds."""
        texts = sorted(set(texts))
        if len(texts) == 1:
            return self.mask(field, texts[0])
        found = np.zeros(self.size, dtype=bool)
        for text in texts:
            found |= self.mask(field, text)
        return found

    def any_at(self, field: str, texts: Iterable[str], docs: np.ndarray) -> np.ndarray:
        """any_mask(field, texts)[docs], from each term's kept mask at `docs` (a search's
        candidates: far fewer than the view's documents, whose any-mask is not kept)."""
        texts = sorted(set(texts))
        if not texts:
            return np.zeros(docs.size, dtype=bool)
        out = self.mask(field, texts[0])[docs]
        for text in texts[1:]:
            out |= self.mask(field, text)[docs]
        return out

    def derived(self, name: str, make):
        """What `make(view)` builds from this view's masks and values, built once per view
        (published by one assignment: two threads may both build it, alike)."""
        found = self._derived.get(name)
        if found is None:
            found = self._derived[name] = make(self)
            self._makers[name] = make
        return found

    def live(self) -> np.ndarray:
        """Docnums of the documents not deleted."""
        if self._live is None:
            self._live = self._join([np.arange(c.size, dtype=np.int64)
                                     for c, _, _, _ in self._leaves])
        return self._live

    def lexicon(self, field: str) -> list[str]:
        found = self._lexicons.get(field)
        if found is None:
            found = [t.decode() if isinstance(t, bytes) else t for t in self.reader.lexicon(field)]
            self._lexicons[field] = found
        return found

    def postings(self, text: str, field: str = "content") -> tuple[np.ndarray, np.ndarray]:
        """Docnums and term frequencies of a term of a scored field (content or title)."""
        found = self._postings.get((field, text))
        if found is None:
            got = [c.term_postings(r, field, text) for c, r, _, _ in self._leaves]
            found = self._join([g[0] for g in got], [g[1] for g in got])
            self.keys_used.add(("postings", field, text))
            for dropped in self._postings.put((field, text), found):
                self.keys_used.discard(("postings", *dropped))
        return found

    # -- term statistics (Whoosh's, for BM25F) ---------------------------------------

    def doc_frequency(self, term: str, field: str = "content") -> int:
        key = (field, term)
        found = self._frequencies.get(key)
        if found is None:  # Whoosh reads it from the term file each time
            found = self.searcher.doc_frequency(field, term)
            self._frequencies.put(key, found)
        return found

    def has_vocabulary(self) -> bool:
        """True when the index was built with the current phrase vocabulary: a phrase
        term it does not hold is in none of its texts (not merely unknown to an index
        built before the phrase was added)."""
        if self._vocabulary is None:
            try:
                stamp = (self.folder / VOCABULARY_FILE).read_text() if self.folder else ""
            except FileNotFoundError:
                stamp = ""
            self._vocabulary = stamp == VOCABULARY_STAMP
        return self._vocabulary

    def idf(self, term: str, field: str) -> float:
        return self.searcher.idf(field, term)  # Whoosh keeps it

    def average_length(self, field: str) -> float:
        found = self._average_lengths.get(field)
        if found is None:
            found = self._average_lengths[field] = self.searcher.avg_field_length(field) or 1
        return found

    def bm25_parameters(self) -> tuple[float, float]:
        """(B, K1) of the searcher's weighting (Whoosh's defaults if it is not BM25F)."""
        weighting = self.searcher.weighting
        return (weighting.B, weighting.K1) if isinstance(weighting, BM25F) else (0.75, 1.2)

    def words(self) -> tuple[list[str], dict[str, int]]:
        """Sorted words "did you mean" may suggest, with how many programs use each."""
        return read_words(self.folder)

    # -- after a write ------------------------------------------------------------

    def warm_from(self, old: View) -> None:
        """Assemble what an older view of this index was asked for (run off the request
        path: only segments new since then are read from the index)."""
        for field in list(old._lexicons):
            self.lexicon(field)
        for kind, *rest in old.keys_used.copy():
            if kind == "ids":
                self.ids(*rest)
            elif kind == "postings":
                self.postings(rest[1], rest[0])
            elif kind == "points":
                self.warm_points()
        for key in list(old._masks):
            if key[0] == "term":
                self.mask(key[1], key[2])
            elif key[0] == "age":
                self.age_mask(key[1])
            elif key[0] == "week":
                self.open_mask(key[1])
        if old._verified is not None:
            self.verified_days()
        for name, make in list(old._makers.items()):
            self.derived(name, make)
