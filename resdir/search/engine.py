"""SearchIndex: open, write, rebuild-and-swap and query the Whoosh index.

Queries are answered from per-searcher caches of posting lists as numpy arrays: the radius
picks candidates from a few grid-cell posting lists, filters are array lookups on those
candidates, and BM25 (Whoosh's own formula and statistics) is computed for the survivors
in one vectorised step. Whoosh stays the storage: terms, postings, lengths, stored fields."""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index

from resdir.search import children, generations, querytext, relevance
from resdir.search.schema import (
    content_of,
    make_schema,
    schema_fields,
    spell_words,
    to_fields,
)
from resdir.search.scoring import (
    both,
    exact_distance,
    geo_candidates,
    known,
    open_now,
    rank,
    suggest,
)
from resdir.search.types import Document, Hit, SearchRequest, SearchResult
from resdir.search.view import POINTER, WORDS_FILE, View

log = logging.getLogger(__name__)

class SearchIndex:
    """The index in `root`: generations `gen-*` and a pointer file naming the live one."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._lock = threading.Lock()
        self._view: View | None = None
        self._view_gen: str | None = None

    # -- storage -----------------------------------------------------------------

    def _live_name(self) -> str | None:
        try:
            return (self.root / POINTER).read_text().strip() or None
        except FileNotFoundError:
            return None

    def _usable(self, name: str | None) -> bool:
        """An index of the current schema is in generation `name`."""
        return _retried(lambda: self._usable_once(name))

    def _usable_once(self, name: str | None) -> bool:
        if not name or not whoosh_index.exists_in(self.root / name):
            return False
        return frozenset(whoosh_index.open_dir(self.root / name).schema.names()) == (
            schema_fields()
        )

    def exists(self) -> bool:
        return self._usable(self._live_name())

    def generation(self) -> str | None:
        """The live generation's folder name (None before the first build)."""
        return self._live_name()

    # -- position in the database's change log (kept by the caller, stored here) -----

    def sync_lock(self, blocking: bool = True):
        """Context manager: the one process (and thread) of this node that may move the
        position or swap generations; yields False when not blocking and taken."""
        return generations.file_lock(self.root / generations.SYNC_LOCK, blocking)

    def position(self) -> dict | None:
        name = self._live_name()
        return generations.read_position(self.root / name) if name else None

    def set_position(self, position: dict) -> None:
        """Record the live generation's position (hold sync_lock())."""
        name = self._live_name()
        if name:
            generations.write_position(self.root / name, position)

    def clean_orphans(self) -> list[str]:
        """Remove generation folders left by a killed build; return their names."""
        removed = generations.clean_orphans(self.root, self._live_name())
        if removed:
            log.warning("removed %d orphan index generation(s): %s", len(removed),
                        ", ".join(removed))
        return removed

    def _open(self):
        return _retried(self._open_once)

    def _open_once(self):
        name = self._live_name()
        if not self._usable(name):
            if self._live_name() != name:  # swapped meanwhile: the old one is being removed
                raise FileNotFoundError(name)
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

    def rebuild(self, docs: Iterable[Document], procs: int = 1,
                position: dict | None = None, wait: bool = True) -> int | None:
        """Build a fresh index beside the live one, then swap it in atomically; the new
        generation starts at `position` in the change log. One build at a time per folder:
        wait=False returns None at once when another is running.

        procs > 1 writes with that many processes into as many segments (not merged)."""
        with generations.file_lock(self.root / generations.BUILD_LOCK, wait) as held:
            if not held:
                return None
            return self._rebuild(docs, procs, position)

    def _rebuild(self, docs: Iterable[Document], procs: int, position: dict | None) -> int:
        name = self._create_generation()
        ix = whoosh_index.open_dir(self.root / name)
        # limitmb: postings Whoosh keeps in memory before spilling sorted runs to disk.
        # At 100,000 programs 256 MB meant spilling and merging: 56 s against 35 s.
        if procs > 1:
            children.die_with_parent()
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
        if position is not None:
            generations.write_position(self.root / name, position)
        with self.sync_lock():
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

    def _current(self) -> View:
        with self._lock:
            name = self._live_name()
            view = self._view
            if view is not None and name == self._view_gen:
                if view.searcher.up_to_date():
                    return view
                # Not searcher.refresh(): it reuses the reader of a segment that has new
                # deletions, so deleted and replaced programs would stay visible (an edited
                # program twice). In-flight searches keep the old searcher until they end.
                self._view = View(self._open().searcher(), view.folder)
                return self._view
            if view is not None:
                view.searcher.close()
            ix = self._open()
            self._view_gen = self._live_name()
            self._view = View(ix.searcher(), Path(ix.storage.folder))
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
        fixed = querytext.correct(ws, lambda t: known(view, t), lambda w: suggest(view, w))
        if fixed:
            suggestion = " ".join(fixed)
        result = self._run(view, req, ws)
        if fixed and result.total == 0:
            result = self._run(view, req, fixed)
            corrected = True
        result.suggestion, result.corrected = suggestion, corrected
        return result

    def _run(self, view: View, req: SearchRequest, ws: list[str]) -> SearchResult:
        # Candidates: docnums (sorted) and, with a radius, their distances.
        cand, dist = geo_candidates(view, req)
        if cand is None:
            cand = view.live()
        keep = None
        for field, values in (
            ("status", [s.replace(" ", "_") for s in req.statuses]),
            ("language", req.languages),
            ("capacity", req.capacities),
        ):
            if values:
                keep = both(keep, view.any_mask(field, values)[cand])
        if req.age is not None:
            keep = both(keep, view.age_mask(req.age)[cand])
        if keep is not None:
            cand = cand[keep]
            dist = dist[keep] if dist is not None else None
        if req.open_at is not None:
            keep = open_now(view, req.open_at, cand)
            cand = cand[keep]
            dist = dist[keep] if dist is not None else None

        matched_mode = "all"
        scores = None
        groups = querytext.parse(ws)
        if groups:
            # Which programs match, and their score: resdir/search/relevance.py.
            hit, scores, matched_mode = relevance.match(view, groups, cand)
            cand, scores = cand[hit], scores[hit]
            dist = dist[hit] if dist is not None else None
            scores = relevance.adjusted(view, cand, scores, dist, req)

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

        order = rank(view, cand, scores, dist, req.sort)
        start = (req.page - 1) * req.per_page
        page = order[start : start + req.per_page]
        hits = [
            Hit(
                id=view.doc_id(int(cand[i])),
                score=round(float(scores[i]), 4) if scores is not None else 0.0,
                distance_mi=(round(exact_distance(view, int(cand[i]), req), 2)
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


OPEN_TRIES = 10


def _retried(read):
    """Run `read()` again when a file vanished under it: another process's commit replaces
    the table-of-contents file (and a rebuild the generation folder) between Whoosh listing
    the folder and opening what it found, so FileNotFoundError here means "read again",
    not "broken" (it made a search a 500 and the sync thread log a traceback)."""
    for attempt in range(OPEN_TRIES):
        try:
            return read()
        except FileNotFoundError:
            if attempt + 1 == OPEN_TRIES:
                raise
            time.sleep(0.005 * (attempt + 1))
    return None
