"""SearchIndex: open, write, rebuild-and-swap and query the Whoosh index.

Queries are answered from per-searcher caches of posting lists as numpy arrays: the radius
picks candidates from a few grid-cell posting lists, filters are array lookups on those
candidates, and BM25 (Whoosh's own formula and statistics) is computed for the survivors
in one vectorised step. Whoosh stays the storage: terms, postings, lengths, stored fields.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import threading
import time
from bisect import bisect_left
from collections import Counter, OrderedDict
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from whoosh import index as whoosh_index
from whoosh import query
from whoosh.automata.fsa import find_all_matches
from whoosh.automata.lev import levenshtein_automaton
from whoosh.highlight import ContextFragmenter, Formatter, highlight
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25F

from resdir.geo import bounding_box, distance_mi
from resdir.search import querytext
from resdir.search.schema import (
    ANALYZER,
    cells_covering,
    content_of,
    make_schema,
    parse_age,
    parse_week,
    schema_fields,
    spell_words,
    to_fields,
    unpack_points,
)
from resdir.search.types import Document, Hit, SearchRequest, SearchResult

log = logging.getLogger(__name__)

POINTER = "CURRENT"  # names the live generation folder; replaced atomically on rebuild
WORDS_FILE = "words.txt"  # "word count" lines: what "did you mean" may suggest
POSTINGS_CACHE = 512  # content terms whose postings a searcher keeps in memory
CELLS_CACHE = 20000  # grid cells whose postings a searcher keeps in memory
EARTH_RADIUS_KM = 6371.009  # geopy's great_circle, so distances equal resdir.geo's
KM_PER_MILE = 1.609344
_NO_IDS = np.empty(0, dtype=np.int64)
_NO_FLOATS = np.empty(0, dtype=np.float64)


class _View:
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
        self._postings: OrderedDict[str, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._lexicons: dict[str, list[str]] = {}
        self._derived: dict[tuple, np.ndarray] = {}
        self._live: np.ndarray | None = None
        self._lat = np.full(self.size, np.nan)
        self._lon = np.full(self.size, np.nan)
        self._geo_loaded = np.zeros(self.size, dtype=bool)
        self._multi: dict[int, list[tuple[float, float]]] = {}
        self._geo_column = None
        self._lengths = np.full(self.size, np.nan)
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

    def postings(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Docnums and term frequencies of a content term."""
        with self._lock:
            got = self._postings.get(text)
            if got is not None:
                self._postings.move_to_end(text)
                return got
        try:
            matcher = self.reader.postings("content", text)
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
            self._postings[text] = got
            if len(self._postings) > POSTINGS_CACHE:
                self._postings.popitem(last=False)
        return got

    def lengths(self, docs: np.ndarray) -> np.ndarray:
        """Content field lengths as Whoosh's scorer sees them (byte-quantised)."""
        out = self._lengths[docs]
        missing = np.isnan(out)
        if missing.any():
            length = self.searcher.doc_field_length
            for d in docs[missing].tolist():
                self._lengths[d] = length(d, "content", 1)
            out = self._lengths[docs]
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


class SearchIndex:
    """The index in `root`: generations `gen-*` and a pointer file naming the live one."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._lock = threading.Lock()
        self._view: _View | None = None
        self._view_gen: str | None = None

    # -- storage -----------------------------------------------------------------

    def _live_name(self) -> str | None:
        try:
            return (self.root / POINTER).read_text().strip() or None
        except FileNotFoundError:
            return None

    def _usable(self, name: str | None) -> bool:
        """An index of the current schema is in generation `name`."""
        if not name or not whoosh_index.exists_in(self.root / name):
            return False
        return frozenset(whoosh_index.open_dir(self.root / name).schema.names()) == (
            schema_fields()
        )

    def exists(self) -> bool:
        return self._usable(self._live_name())

    def _open(self):
        name = self._live_name()
        if not self._usable(name):
            if name and whoosh_index.exists_in(self.root / name):
                log.error("search index %s has an older schema: starting an empty one; "
                          "rebuild it (resdir reindex)", name)
            name = self._create_generation()
            self._point_to(name)
        return whoosh_index.open_dir(self.root / name)

    def _create_generation(self) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        name = f"gen-{time.time_ns()}"
        (self.root / name).mkdir()
        whoosh_index.create_in(self.root / name, make_schema())
        return name

    def _point_to(self, name: str) -> None:
        tmp = self.root / f".{POINTER}.{os.getpid()}.{threading.get_ident()}"
        tmp.write_text(name)
        os.replace(tmp, self.root / POINTER)

    @staticmethod
    def _add_words(folder: Path, words: Counter) -> None:
        """Merge words into the generation's word list (counts only ever grow: a word
        that no longer matches anything costs a suggestion that finds nothing)."""
        if not words:
            return
        path = folder / WORDS_FILE
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                word, _, count = line.rpartition(" ")
                if word:
                    words[word] += int(count)
        tmp = folder / f".{WORDS_FILE}.{os.getpid()}.{threading.get_ident()}"
        tmp.write_text("".join(f"{w} {c}\n" for w, c in sorted(words.items())), encoding="utf-8")
        os.replace(tmp, path)

    def update(self, docs: Iterable[Document], delete_ids: Iterable[str] = ()) -> int:
        """Write documents (replacing same ids) and delete ids, in one commit."""
        ix = self._open()
        writer = ix.writer(timeout=30.0, delay=0.05)
        count = 0
        words: Counter = Counter()
        try:
            for doc in docs:
                content = content_of(doc)
                words.update(spell_words(content))
                writer.update_document(**to_fields(doc, content))
                count += 1
            for doc_id in delete_ids:
                writer.delete_by_term("id", doc_id)
                count += 1
            # Under the writer's lock, so two updates do not lose each other's words.
            self._add_words(Path(ix.storage.folder), words)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        ix.close()
        return count

    def rebuild(self, docs: Iterable[Document], procs: int = 1) -> int:
        """Build a fresh index beside the live one, then swap it in atomically.

        procs > 1 writes with that many processes into as many segments (not merged)."""
        name = self._create_generation()
        ix = whoosh_index.open_dir(self.root / name)
        # limitmb: postings Whoosh keeps in memory before spilling sorted runs to disk.
        # At 100,000 programs 256 MB meant spilling and merging: 56 s against 35 s.
        if procs > 1:
            writer = ix.writer(procs=procs, multisegment=True, limitmb=512)
        else:
            writer = ix.writer(limitmb=1024)
        count = 0
        words: Counter = Counter()
        try:
            for doc in docs:
                content = content_of(doc)
                words.update(spell_words(content))
                writer.add_document(**to_fields(doc, content))
                count += 1
            self._add_words(self.root / name, words)
        except BaseException:
            writer.cancel()
            ix.close()
            shutil.rmtree(self.root / name, ignore_errors=True)
            raise
        writer.commit()
        ix.close()
        old = self._live_name()
        self._point_to(name)
        if old and old != name:
            # Open searchers keep their files (POSIX); new ones see the new generation.
            shutil.rmtree(self.root / old, ignore_errors=True)
        return count

    def stamps(self) -> dict[str, str]:
        """Every indexed id with its stamp (to compare with the database)."""
        view = self._current()
        out = {}
        for docnum in view.live().tolist():
            stored = view.searcher.stored_fields(docnum)
            out[stored["id"]] = stored.get("stamp", "")
        return out

    def size_bytes(self) -> int:
        name = self._live_name()
        folder = self.root / name if name else self.root
        return sum(p.stat().st_size for p in folder.glob("*") if p.is_file())

    # -- reading -----------------------------------------------------------------

    def _current(self) -> _View:
        with self._lock:
            name = self._live_name()
            view = self._view
            if view is not None and name == self._view_gen:
                if view.searcher.up_to_date():
                    return view
                # Not searcher.refresh(): it reuses the reader of a segment that has new
                # deletions, so deleted and replaced programs would stay visible (an edited
                # program twice). In-flight searches keep the old searcher until they end.
                self._view = _View(self._open().searcher(), view.folder)
                return self._view
            if view is not None:
                view.searcher.close()
            ix = self._open()
            self._view_gen = self._live_name()
            self._view = _View(ix.searcher(), Path(ix.storage.folder))
            return self._view

    def close(self) -> None:
        with self._lock:
            if self._view is not None:
                self._view.searcher.close()
                self._view = None

    def search(self, req: SearchRequest) -> SearchResult:
        view = self._current()
        ws = querytext.words(req.text)
        suggestion, corrected = None, False
        fixed = querytext.correct(ws, lambda t: _known(view, t), lambda w: _suggest(view, w))
        if fixed:
            suggestion = " ".join(fixed)
        result = self._run(view, req, ws)
        if fixed and result.total == 0:
            result = self._run(view, req, fixed)
            corrected = True
        result.suggestion, result.corrected = suggestion, corrected
        return result

    def _run(self, view: _View, req: SearchRequest, ws: list[str]) -> SearchResult:
        # Candidates: docnums (sorted) and, with a radius, their distances.
        cand, dist = _geo_candidates(view, req)
        if cand is None:
            cand = view.live()
        keep = None
        for field, values in (
            ("status", [s.replace(" ", "_") for s in req.statuses]),
            ("language", req.languages),
            ("capacity", req.capacities),
        ):
            if values:
                keep = _both(keep, view.any_mask(field, values)[cand])
        if req.age is not None:
            keep = _both(keep, view.age_mask(req.age)[cand])
        if keep is not None:
            cand = cand[keep]
            dist = dist[keep] if dist is not None else None
        if req.open_at is not None:
            keep = _open_now(view, req.open_at, cand)
            cand = cand[keep]
            dist = dist[keep] if dist is not None else None

        matched_mode = "all"
        scores = None
        q = querytext.build(ws, require_all=True)
        if q is not None:
            hit, scores = _evaluate(view, q, cand)
            if not hit.any() and len(querytext.groups(ws)) > 1:
                q = querytext.build(ws, require_all=False)
                hit, scores = _evaluate(view, q, cand)
                matched_mode = "any"
            cand, scores = cand[hit], scores[hit]
            dist = dist[hit] if dist is not None else None

        facets = {}
        for c in view.lexicon("category"):
            n = int(np.count_nonzero(view.mask("category", c)[cand]))
            if n:
                facets[c] = n
        if req.categories:
            keep = view.any_mask("category", req.categories)[cand]
            cand = cand[keep]
            scores = scores[keep] if scores is not None else None
            dist = dist[keep] if dist is not None else None

        order = _rank(view, cand, scores, dist, req.sort)
        start = (req.page - 1) * req.per_page
        page = order[start : start + req.per_page]
        hits = [
            Hit(
                id=view.doc_id(int(cand[i])),
                score=round(float(scores[i]), 4) if scores is not None else 0.0,
                distance_mi=(round(_exact_distance(view, int(cand[i]), req), 2)
                             if dist is not None else None),
            )
            for i in page.tolist()
        ]
        return SearchResult(
            total=int(cand.size),
            hits=hits,
            facets=dict(sorted(facets.items())),
            matched=matched_mode,
            terms=querytext.terms_of(ws),
        )


def _both(a: np.ndarray | None, b: np.ndarray) -> np.ndarray:
    return b if a is None else a & b


def _known(view: _View, term: str) -> bool:
    return view.searcher.doc_frequency("content", term) > 0


def _suggest(view: _View, word: str) -> str | None:
    """The nearest word of the index's word list: fewest edits, then most programs."""
    wordlist, counts = view.words()
    if not wordlist:
        return None

    def first_from(text: str) -> str | None:
        # (whoosh.spelling.ListCorrector's own lookup skips words: not used.)
        i = bisect_left(wordlist, text)
        return wordlist[i] if i < len(wordlist) else None

    for dist in range(1, (1 if len(word) < 6 else 2) + 1):
        dfa = levenshtein_automaton(word, dist).to_dfa()
        found = [w for w in find_all_matches(dfa, first_from) if w != word]
        if found:
            return min(found, key=lambda w: (-counts.get(w, 0), w))
    return None


def _distances_mi(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """geopy's great_circle (resdir.geo.distance_mi) from one point to many, in miles."""
    lat1, lng1 = math.radians(lat), math.radians(lon)
    sin_lat1, cos_lat1 = math.sin(lat1), math.cos(lat1)
    lat2, lng2 = np.radians(lats), np.radians(lons)
    sin_lat2, cos_lat2 = np.sin(lat2), np.cos(lat2)
    delta = lng2 - lng1
    cos_delta, sin_delta = np.cos(delta), np.sin(delta)
    d = np.arctan2(
        np.sqrt((cos_lat2 * sin_delta) ** 2 + (cos_lat1 * sin_lat2 - sin_lat1 * cos_lat2
                                               * cos_delta) ** 2),
        sin_lat1 * sin_lat2 + cos_lat1 * cos_lat2 * cos_delta,
    )
    return EARTH_RADIUS_KM * d / KM_PER_MILE


def _geo_candidates(view: _View, req: SearchRequest):
    """Docs within the radius (sorted docnums) and their distances, reading only the
    cells near the point; (None, None) without a point."""
    if req.point is None or req.radius_mi is None:
        return None, None
    lat, lon = req.point
    box = bounding_box(lat, lon, req.radius_mi)
    near = view.cell_ids(cells_covering(box))
    if not near.size:
        return _NO_IDS, _NO_FLOATS
    lats, lons = view.points(near)
    min_lat, min_lon, max_lat, max_lon = box
    with np.errstate(invalid="ignore"):
        in_box = (min_lat <= lats) & (lats <= max_lat) & (min_lon <= lons) & (lons <= max_lon)
    dist = np.full(near.size, np.inf)
    dist[in_box] = _distances_mi(lat, lon, lats[in_box], lons[in_box])
    if view._multi:
        for i in np.flatnonzero(np.isin(near, np.fromiter(view._multi, dtype=np.int64))):
            dist[i] = _exact_distance(view, int(near[i]), req, box)
    # numpy's sin/cos may differ from the C library's in the last bit: near the radius,
    # and for the distances shown, ask resdir.geo itself (see _exact_distance).
    for i in np.flatnonzero(np.abs(dist - req.radius_mi) <= 1e-9 * req.radius_mi).tolist():
        dist[i] = _exact_distance(view, int(near[i]), req, box)
    inside = dist <= req.radius_mi
    return near[inside], dist[inside]


def _exact_distance(view: _View, docnum: int, req: SearchRequest, box=None) -> float:
    """Distance to the doc's nearest point inside the box, by resdir.geo.distance_mi."""
    min_lat, min_lon, max_lat, max_lon = box or bounding_box(*req.point, req.radius_mi)
    best = math.inf
    for plat, plon in view.all_points(docnum):
        if min_lat <= plat <= max_lat and min_lon <= plon <= max_lon:
            best = min(best, distance_mi(req.point, (plat, plon)))
    return best


def _open_now(view: _View, open_at, cand: np.ndarray) -> np.ndarray:
    """Which candidates are open at the local time `open_at(tz)` gives in their zone."""
    out = np.zeros(cand.size, dtype=bool)
    for tz in view.lexicon("tz"):
        try:
            local = open_at(tz)
        except (KeyError, ValueError):
            continue
        in_zone = view.mask("tz", tz)[cand]
        if not in_zone.any():
            continue
        minute = local.weekday() * 1440 + local.hour * 60 + local.minute
        ok = in_zone & view.open_mask(minute)[cand]
        for i in np.flatnonzero(ok & view.mask("flags", "closures")[cand]).tolist():
            if _closed_on(view.opening(int(cand[i]))[1], local.date()):
                ok[i] = False
        out |= ok
    return out


def _closed_on(closures: list, day: date) -> bool:
    iso = day.isoformat()
    return any(first <= iso <= last for first, last in closures)


def _evaluate(view: _View, q: query.Query, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which candidates match `q`, and their scores: Whoosh's BM25F (its idf, average and
    quantised lengths, B and K1), summed over And/Or and multiplied by boosts as Whoosh's
    matchers do. Scores are 0 where a candidate does not match."""
    if isinstance(q, query.Term) and q.fieldname == "content":
        ids, tfs = view.postings(q.text)
        if not ids.size or not cand.size:
            return np.zeros(cand.size, dtype=bool), np.zeros(cand.size)
        pos = np.minimum(np.searchsorted(ids, cand), ids.size - 1)
        hit = ids[pos] == cand
        score = np.zeros(cand.size)
        if hit.any():
            searcher = view.searcher
            weighting = searcher.weighting
            b, k1 = (weighting.B, weighting.K1) if isinstance(weighting, BM25F) else (0.75, 1.2)
            idf = searcher.idf("content", q.text)
            avgfl = searcher.avg_field_length("content") or 1
            tf = tfs[pos[hit]]
            fl = view.lengths(cand[hit])
            score[hit] = idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))
    elif isinstance(q, query.And | query.Or) and q.subqueries:
        parts = [_evaluate(view, sub, cand) for sub in q.subqueries]
        hit = parts[0][0].copy()
        score = parts[0][1].copy()
        for sub_hit, sub_score in parts[1:]:
            if isinstance(q, query.And):
                hit &= sub_hit
            else:
                hit |= sub_hit
            score += sub_score
        if isinstance(q, query.And):
            score[~hit] = 0.0
    else:
        raise TypeError(f"cannot evaluate {q!r}")  # querytext builds only Term/And/Or
    if q.boost != 1.0:
        score = score * q.boost
    return hit, score


def _rank(view: _View, cand: np.ndarray, scores, dist, sort: str) -> np.ndarray:
    """Positions in `cand`, best first."""
    far = dist if dist is not None else np.full(cand.size, np.inf)
    if scores is not None and sort != "distance":
        return np.lexsort((cand, far, -scores))
    if dist is not None:
        return np.lexsort((cand, -(scores if scores is not None else np.zeros(cand.size)), dist))
    return np.argsort(view.name_rank()[cand], kind="stable")


class _MarkFormatter(Formatter):
    """Wrap matched words in \x02...\x03 so the page can mark them after escaping."""

    between = " ... "

    def format_token(self, text, token, replace=False):
        return "\x02" + self._text(text[token.startchar : token.endchar]) + "\x03"


def snippet(text: str, terms: frozenset[str], limit: int = 200) -> str:
    """A short piece of `text` around the query's words, matches wrapped in \\x02/\\x03."""
    text = (text or "").replace("\x02", "").replace("\x03", "")
    if terms:
        found = highlight(
            text, terms, ANALYZER, ContextFragmenter(maxchars=limit, surround=60),
            _MarkFormatter(), top=2,
        )
        if found:
            return found
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " ..."


def local_time_in(moment: datetime):
    """An `open_at` callable for a fixed instant (aware datetime)."""
    return lambda tz: moment.astimezone(ZoneInfo(tz))
