"""SearchIndex: open, write, rebuild-and-swap and query the Whoosh index."""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from whoosh import index as whoosh_index
from whoosh import query
from whoosh.highlight import ContextFragmenter, Formatter, highlight

from resdir.geo import bounding_box, distance_mi
from resdir.search import querytext
from resdir.search.schema import ANALYZER, cells_covering, make_schema, to_fields
from resdir.search.types import Document, Hit, SearchRequest, SearchResult

log = logging.getLogger(__name__)

POINTER = "CURRENT"  # names the live generation folder; replaced atomically on rebuild
# Above this many candidates, text scoring goes through Whoosh's own collector with a
# filter set; below it, only the candidates are scored (see _score_candidates).
SMALL_CANDIDATES = 4000


class _View:
    """One open searcher and what was computed from it; dropped when the index changes."""

    def __init__(self, searcher):
        self.searcher = searcher
        self.term_sets: dict[tuple[str, str], frozenset[int]] = {}
        self.geo: dict[int, list[tuple[float, float]]] = {}
        self.hours: dict[int, tuple[list, list]] = {}
        self.all_docs: frozenset[int] | None = None

    def docs(self, field: str, text: str) -> frozenset[int]:
        key = (field, text)
        found = self.term_sets.get(key)
        if found is None:
            found = frozenset(self.searcher.docs_for_query(query.Term(field, text)))
            self.term_sets[key] = found
        return found

    def any_of(self, field: str, texts: Iterable[str]) -> frozenset[int]:
        out: frozenset[int] = frozenset()
        for text in texts:
            out = out | self.docs(field, text)
        return out

    def every(self) -> frozenset[int]:
        if self.all_docs is None:
            self.all_docs = frozenset(self.searcher.docs_for_query(query.Every()))
        return self.all_docs

    def points(self, docnum: int) -> list[tuple[float, float]]:
        pts = self.geo.get(docnum)
        if pts is None:
            raw = self.searcher.stored_fields(docnum).get("geo") or ""
            pts = [tuple(map(float, p.split(","))) for p in raw.split(";") if p]
            self.geo[docnum] = pts
        return pts

    def opening(self, docnum: int) -> tuple[list, list]:
        got = self.hours.get(docnum)
        if got is None:
            got = tuple(json.loads(self.searcher.stored_fields(docnum).get("hours") or "[[],[]]"))
            self.hours[docnum] = got
        return got


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

    def exists(self) -> bool:
        name = self._live_name()
        return bool(name) and whoosh_index.exists_in(self.root / name)

    def _open(self):
        name = self._live_name()
        if not name or not whoosh_index.exists_in(self.root / name):
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

    def update(self, docs: Iterable[Document], delete_ids: Iterable[str] = ()) -> int:
        """Write documents (replacing same ids) and delete ids, in one commit."""
        ix = self._open()
        writer = ix.writer(timeout=30.0, delay=0.05)
        count = 0
        try:
            for doc in docs:
                writer.update_document(**to_fields(doc))
                count += 1
            for doc_id in delete_ids:
                writer.delete_by_term("id", doc_id)
                count += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        ix.close()
        return count

    def rebuild(self, docs: Iterable[Document], procs: int = 1) -> int:
        """Build a fresh index beside the live one, then swap it in atomically."""
        name = self._create_generation()
        ix = whoosh_index.open_dir(self.root / name)
        kwargs = {"procs": procs, "multisegment": True, "limitmb": 256} if procs > 1 else {}
        writer = ix.writer(limitmb=256, **kwargs) if not kwargs else ix.writer(**kwargs)
        count = 0
        try:
            for doc in docs:
                writer.add_document(**to_fields(doc))
                count += 1
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
        for docnum in view.every():
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
                self._view = _View(view.searcher.refresh())
                return self._view
            if view is not None:
                view.searcher.close()
            ix = self._open()
            self._view_gen = self._live_name()
            self._view = _View(ix.searcher())
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
        distances, base = _geo_candidates(view, req)
        for field, values in (
            ("status", [s.replace(" ", "_") for s in req.statuses]),
            ("language", req.languages),
            ("capacity", req.capacities),
        ):
            if values:
                base = _narrow(base, view.any_of(field, values))
        if req.age is not None:
            base = _narrow(base, view.any_of("age", ["any", str(req.age)]))
        if req.open_at is not None:
            base = _narrow(base, _open_docs(view, req.open_at, base))
        cats = view.any_of("category", req.categories) if req.categories else None

        matched_mode = "all"
        scores: dict[int, float] | None = None
        q = querytext.build(ws, require_all=True)
        if q is not None:
            scores = _score(view, q, base)
            if not scores and len(querytext.groups(ws)) > 1:
                q = querytext.build(ws, require_all=False)
                scores = _score(view, q, base)
                matched_mode = "any"
            matched = frozenset(scores)
        else:
            matched = base if base is not None else view.every()

        facets = {
            c: len(matched & view.docs("category", c)) for c in _category_terms(view)
        }
        final = matched & cats if cats is not None else matched
        ranked = _rank(view, final, scores, distances, req.sort)
        start = (req.page - 1) * req.per_page
        page = ranked[start : start + req.per_page]
        hits = [
            Hit(
                id=view.searcher.stored_fields(d)["id"],
                score=round(scores.get(d, 0.0), 4) if scores else 0.0,
                distance_mi=round(distances[d], 2) if distances is not None else None,
            )
            for d in page
        ]
        return SearchResult(
            total=len(final),
            hits=hits,
            facets={k: v for k, v in sorted(facets.items()) if v},
            matched=matched_mode,
            terms=querytext.terms_of(ws),
        )


def _narrow(base: frozenset[int] | None, allowed: frozenset[int]) -> frozenset[int]:
    if base is None:
        return allowed
    # Intersect from the smaller side: a few geo candidates against a cached big set.
    return frozenset(d for d in base if d in allowed) if len(base) < len(allowed) else (
        base & allowed
    )


def _category_terms(view: _View) -> list[str]:
    return [t.decode() if isinstance(t, bytes) else t for t in view.searcher.lexicon("category")]


def _known(view: _View, term: str) -> bool:
    return view.searcher.doc_frequency("content", term) > 0


def _suggest(view: _View, word: str) -> str | None:
    found = view.searcher.corrector("content").suggest(
        word, limit=1, maxdist=1 if len(word) < 6 else 2
    )
    return found[0] if found else None


def _geo_candidates(view: _View, req: SearchRequest):
    """Docs within the radius and their distances, reading only cells near the point."""
    if req.point is None or req.radius_mi is None:
        return None, None
    lat, lon = req.point
    box = bounding_box(lat, lon, req.radius_mi)
    cells = cells_covering(box)
    near = view.searcher.docs_for_query(query.Or([query.Term("cell", c) for c in cells]))
    distances: dict[int, float] = {}
    min_lat, min_lon, max_lat, max_lon = box
    for docnum in near:
        best = None
        for plat, plon in view.points(docnum):
            if min_lat <= plat <= max_lat and min_lon <= plon <= max_lon:
                d = distance_mi((lat, lon), (plat, plon))
                if d <= req.radius_mi and (best is None or d < best):
                    best = d
        if best is not None:
            distances[docnum] = best
    return distances, frozenset(distances)


def _open_docs(view: _View, open_at, base: frozenset[int] | None) -> frozenset[int]:
    """Docs open at the local time `open_at(tz)` gives in each program's time zone."""
    out: set[int] = set()
    for tz in view.searcher.lexicon("tz"):
        tz = tz.decode() if isinstance(tz, bytes) else tz
        try:
            local = open_at(tz)
        except (KeyError, ValueError):
            continue
        in_zone = view.docs("tz", tz)
        if base is not None:
            in_zone = _narrow(base, in_zone)
        hour = local.weekday() * 24 + local.hour
        minute = local.weekday() * 1440 + local.hour * 60 + local.minute
        sure = view.docs("slot", f"f{hour}") | view.docs("slot", "always")
        maybe = view.docs("slot", f"p{hour}")
        closures = view.docs("slot", "closures")
        for docnum in _narrow(in_zone, sure | maybe):
            if docnum in maybe and not _open_minute(view.opening(docnum)[0], minute):
                continue
            if docnum in closures and _closed_on(view.opening(docnum)[1], local.date()):
                continue
            out.add(docnum)
    return frozenset(out)


def _open_minute(spans: list, minute: int) -> bool:
    return any(start <= minute < end for start, end in spans)


def _closed_on(closures: list, day: date) -> bool:
    iso = day.isoformat()
    return any(first <= iso <= last for first, last in closures)


def _score(view: _View, q: query.Query, base: frozenset[int] | None) -> dict[int, float]:
    """Scores of the docs in `base` (or all docs) that match `q`."""
    searcher = view.searcher
    if base is not None and len(base) <= SMALL_CANDIDATES:
        return _score_candidates(searcher, q, sorted(base))
    results = searcher.search(q, filter=base, limit=None)
    return {hit.docnum: hit.score for hit in results}


def _score_candidates(searcher, q: query.Query, candidates: list[int]) -> dict[int, float]:
    """Score only the given docs: skip the matcher from one candidate to the next, so the
    cost follows the candidates rather than every doc that has the words."""
    scores: dict[int, float] = {}
    matcher = q.matcher(searcher, searcher.context())
    for docnum in candidates:
        if not matcher.is_active():
            break
        if matcher.id() < docnum:
            matcher.skip_to(docnum)
            if not matcher.is_active():
                break
        if matcher.id() == docnum:
            scores[docnum] = matcher.score()
    return scores


def _rank(view, docs, scores, distances, sort: str) -> list[int]:
    far = float("inf")
    if scores is not None and sort != "distance":
        return sorted(docs, key=lambda d: (-scores.get(d, 0.0), (distances or {}).get(d, far), d))
    if distances is not None:
        return sorted(docs, key=lambda d: (distances.get(d, far), -(scores or {}).get(d, 0.0), d))
    names = view.searcher.reader().column_reader("name_sort")
    return sorted(docs, key=lambda d: (names[d], d))


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
