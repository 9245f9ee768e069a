"""One open searcher and the arrays computed from it (postings, lengths, points, masks)."""

from __future__ import annotations

import json
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import numpy as np
from whoosh.reading import TermNotFound

from resdir.search.schema import (
    parse_age,
    parse_week,
    unpack_points,
)

log = logging.getLogger(__name__)

POINTER = "CURRENT"  # names the live generation folder; replaced atomically on rebuild
WORDS_FILE = "words.txt"  # "word count" lines: what "did you mean" may suggest
POSTINGS_CACHE = 512  # content terms whose postings a searcher keeps in memory
CELLS_CACHE = 20000  # grid cells whose postings a searcher keeps in memory
EARTH_RADIUS_KM = 6371.009  # geopy's great_circle, so distances equal resdir.geo's
KM_PER_MILE = 1.609344
_NO_IDS = np.empty(0, dtype=np.int64)
_NO_FLOATS = np.empty(0, dtype=np.float64)


class View:
    """One open searcher and what was read from it; dropped when the index changes."""

    def __init__(self, searcher, folder: Path | None = None):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.size = self.reader.doc_count_all()
        self.folder = folder
        self._lock = threading.Lock()
        self._ids: dict[tuple[str, str], np.ndarray] = {}
        self._masks: dict[tuple[str, str], np.ndarray] = {}
        self._cells: OrderedDict[str, np.ndarray] = OrderedDict()
        self._postings: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = (
            OrderedDict())
        self._lexicons: dict[str, list[str]] = {}
        self._derived: dict[tuple, np.ndarray] = {}
        self._live: np.ndarray | None = None
        self._lat = np.full(self.size, np.nan)
        self._lon = np.full(self.size, np.nan)
        self._geo_loaded = np.zeros(self.size, dtype=bool)
        self._multi: dict[int, list[tuple[float, float]]] = {}
        self._geo_column = None
        self._lengths: dict[str, np.ndarray] = {}
        self._verified: np.ndarray | None = None
        self._name_rank: np.ndarray | None = None
        self._words: tuple[list[str], dict[str, int]] | None = None
        self.hours: dict[int, tuple[list, list]] = {}
        self.doc_ids: dict[int, str] = {}

    # -- postings as arrays ------------------------------------------------------

    def _read_ids(self, field: str, text: str) -> np.ndarray:
        try:
            matcher = self.reader.postings(field, text)
        except TermNotFound:
            return _NO_IDS
        return np.fromiter(matcher.all_ids(), dtype=np.int64)

    def ids(self, field: str, text: str) -> np.ndarray:
        """Sorted docnums (deleted ones left out) that have the term."""
        key = (field, text)
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = self._read_ids(field, text)
        return found

    def mask(self, field: str, text: str) -> np.ndarray:
        """The term's docs as a boolean array over all docnums."""
        key = (field, text)
        found = self._masks.get(key)
        if found is None:
            found = np.zeros(self.size, dtype=bool)
            found[self.ids(field, text)] = True
            self._masks[key] = found
        return found

    def any_mask(self, field: str, texts: Iterable[str]) -> np.ndarray:
        texts = sorted(set(texts))
        if len(texts) == 1:
            return self.mask(field, texts[0])
        key = ("any", field, *texts)
        found = self._derived.get(key)
        if found is None:
            found = np.zeros(self.size, dtype=bool)
            for text in texts:
                found |= self.mask(field, text)
            self._derived[key] = found
        return found

    def live(self) -> np.ndarray:
        """Docnums of the documents not deleted."""
        if self._live is None:
            if self.reader.has_deletions():
                self._live = np.fromiter(self.reader.all_doc_ids(), dtype=np.int64)
            else:
                self._live = np.arange(self.size, dtype=np.int64)
        return self._live

    def lexicon(self, field: str) -> list[str]:
        found = self._lexicons.get(field)
        if found is None:
            found = [t.decode() if isinstance(t, bytes) else t for t in self.reader.lexicon(field)]
            self._lexicons[field] = found
        return found

    def cell_ids(self, cells: list[str]) -> np.ndarray:
        """Docnums (sorted, unique) in any of the cells."""
        parts = []
        with self._lock:
            for cell in cells:
                got = self._cells.get(cell)
                if got is None:
                    got = self._read_ids("cell", cell)
                    self._cells[cell] = got
                    if len(self._cells) > CELLS_CACHE:
                        self._cells.popitem(last=False)
                else:
                    self._cells.move_to_end(cell)
                if got.size:
                    parts.append(got)
        if not parts:
            return _NO_IDS
        # A program with several points can be in several cells.
        return np.unique(np.concatenate(parts)) if len(parts) > 1 else parts[0]

    def postings(self, text: str, field: str = "content") -> tuple[np.ndarray, np.ndarray]:
        """Docnums and term frequencies of a term of a scored field (content or title)."""
        key = (field, text)
        with self._lock:
            got = self._postings.get(key)
            if got is not None:
                self._postings.move_to_end(key)
                return got
        try:
            matcher = self.reader.postings(field, text)
        except TermNotFound:
            got = (_NO_IDS, _NO_FLOATS)
        else:
            ids, weights = [], []
            while matcher.is_active():
                ids.append(matcher.id())
                weights.append(matcher.weight())
                matcher.next()
            got = (np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64))
        with self._lock:
            self._postings[key] = got
            if len(self._postings) > POSTINGS_CACHE:
                self._postings.popitem(last=False)
        return got

    def lengths(self, docs: np.ndarray, field: str = "content") -> np.ndarray:
        """Field lengths as Whoosh's scorer sees them (byte-quantised)."""
        cache = self._lengths.get(field)
        if cache is None:
            cache = self._lengths[field] = np.full(self.size, np.nan)
        out = cache[docs]
        missing = np.isnan(out)
        if missing.any():
            length = self.searcher.doc_field_length
            for d in docs[missing].tolist():
                cache[d] = length(d, field, 1)
            out = cache[docs]
        return out

    # -- per-document values -----------------------------------------------------

    def points(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First point (lat, lon) of each doc, NaN if none; more points go to _multi."""
        todo = docs[~self._geo_loaded[docs]]
        if todo.size:
            if self._geo_column is None:
                self._geo_column = self.reader.column_reader("geo")
            column = self._geo_column
            for d in todo.tolist():
                pts = unpack_points(column[d])
                if pts:
                    self._lat[d], self._lon[d] = pts[0]
                    if len(pts) > 1:
                        self._multi[d] = pts
            self._geo_loaded[todo] = True
        return self._lat[docs], self._lon[docs]

    def all_points(self, docnum: int) -> list[tuple[float, float]]:
        self.points(np.array([docnum], dtype=np.int64))
        if docnum in self._multi:
            return self._multi[docnum]
        if math.isnan(self._lat[docnum]):
            return []
        return [(float(self._lat[docnum]), float(self._lon[docnum]))]

    def opening(self, docnum: int) -> tuple[list, list]:
        got = self.hours.get(docnum)
        if got is None:
            got = tuple(json.loads(self.searcher.stored_fields(docnum).get("hours") or "[[],[]]"))
            self.hours[docnum] = got
        return got

    def doc_id(self, docnum: int) -> str:
        got = self.doc_ids.get(docnum)
        if got is None:
            got = self.doc_ids[docnum] = self.searcher.stored_fields(docnum)["id"]
        return got

    def name_rank(self) -> np.ndarray:
        """Each doc's place in (name, docnum) order."""
        if self._name_rank is None and self.size == 0:
            # An empty index has no column files: Whoosh's column_reader raises.
            self._name_rank = _NO_IDS
        if self._name_rank is None:
            names = self.reader.column_reader("name_sort")
            order = sorted(range(self.size), key=lambda d: (names[d], d))
            rank = np.empty(self.size, dtype=np.int64)
            rank[np.array(order, dtype=np.int64)] = np.arange(self.size)
            self._name_rank = rank
        return self._name_rank

    # -- values spelled out in terms ----------------------------------------------

    def age_mask(self, age: int) -> np.ndarray:
        """Docs whose age range includes `age`, or that take any age."""
        key = ("age", age)
        found = self._derived.get(key)
        if found is None:
            found = np.zeros(self.size, dtype=bool)
            for term in self.lexicon("age"):
                span = parse_age(term)  # None for "any"
                if span is None or span[0] <= age <= span[1]:
                    found[self.ids("age", term)] = True
            self._derived[key] = found
        return found

    def open_mask(self, minute: int) -> np.ndarray:
        """Docs whose weekly hours include minute-of-week `minute`."""
        key = ("week", minute)
        found = self._derived.get(key)
        if found is None:
            found = np.zeros(self.size, dtype=bool)
            weeks = self._derived.get(("weeks",))
            if weeks is None:
                weeks = self._derived[("weeks",)] = [
                    (term, parse_week(term)) for term in self.lexicon("week")
                ]
            for term, spans in weeks:
                if any(start <= minute < end for start, end in spans):
                    found[self.ids("week", term)] = True
            with self._lock:
                self._derived[key] = found
                minutes = [k for k in self._derived if k[0] == "week"]
                if len(minutes) > 64:
                    del self._derived[minutes[0]]
        return found

    def verified_days(self) -> np.ndarray:
        """Each doc's last verification as a day ordinal (0 when never verified)."""
        if self._verified is None:
            days = np.zeros(self.size, dtype=np.int64)
            for term in self.lexicon("verified"):
                try:
                    day = date.fromisoformat(term).toordinal()
                except ValueError:  # "never"
                    continue
                days[self.ids("verified", term)] = day
            self._verified = days
        return self._verified

    def words(self) -> tuple[list[str], dict[str, int]]:
        """Sorted words "did you mean" may suggest, with how many programs use each."""
        if self._words is None:
            counts: dict[str, int] = {}
            path = self.folder / WORDS_FILE if self.folder else None
            if path is not None and path.exists():
                for line in path.read_text(encoding="utf-8").splitlines():
                    word, _, count = line.rpartition(" ")
                    if word:
                        counts[word] = int(count)
            self._words = (sorted(counts), counts)
        return self._words
