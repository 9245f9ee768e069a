"""SearchIndex: open, write, rebuild-and-swap and query the Whoosh index.

Queries are answered from per-searcher caches of posting lists as numpy arrays: the radius
picks candidates from a few grid-cell posting lists, filters are array lookups on those
candidates, and BM25 (Whoosh's own formula and statistics) is computed for the survivors
in one vectorised step. Whoosh stays the storage: terms, postings, lengths, stored fields."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from whoosh import index as whoosh_index

from resdir.search import answering, children, generations, writing
from resdir.search.generations import POINTER
from resdir.search.held import close_compound_files, close_searcher, held_searcher
from resdir.search.schema import (
    VOCABULARY_FILE,
    VOCABULARY_STAMP,
    make_schema,
    schema_fields,
)
from resdir.search.segments import SegmentStore
from resdir.search.types import Document, SearchRequest, SearchResult
from resdir.search.view import View

log = logging.getLogger(__name__)


class SearchIndex:
    """The index in `root`: generations `gen-*` and a pointer file naming the live one."""

    def __init__(self, root: str | os.PathLike, answers: int = 0):
        self.root = Path(root)
        self.answers = answers  # answers each view keeps (remembered); 0: none
        self._root_text = os.fspath(self.root)
        self._lock = threading.Lock()  # guards _view, _view_gen, _users, _retired
        self._refreshing = threading.Lock()  # one new view opened at a time
        self._view: View | None = None
        self._view_gen: str | None = None
        self._segments = SegmentStore()
        self._users: dict[int, int] = {}  # id(view) -> searches using it now
        self._retired: list[View] = []  # replaced views, closed when no search uses them

    # -- storage -----------------------------------------------------------------

    def _live_name(self) -> str | None:
        try:
            return (self.root / POINTER).read_text().strip() or None
        except FileNotFoundError:
            return None

    def _usable(self, name: str | None) -> bool:
        """An index of the current schema is in generation `name`."""
        return generations.retried(lambda: self._usable_once(name))

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
        return generations.clean_orphans(self.root, self._live_name())

    def _open(self):
        return generations.retried(self._open_once)

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
        return generations.open_dir(self.root / name)

    def _open_searcher(self):
        """The index and a searcher on it holding every file it will read (segment files
        can vanish under a reader when another process's commit merges them: then both are
        opened again; held.hold_files)."""
        ix = self._open_once()
        return ix, held_searcher(ix)

    def _create_generation(self) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        name = f"gen-{time.time_ns()}"
        (self.root / name).mkdir()
        whoosh_index.create_in(self.root / name, make_schema())
        (self.root / name / VOCABULARY_FILE).write_text(VOCABULARY_STAMP)
        return name

    def _point_to(self, name: str) -> None:
        tmp = self.root / f".{POINTER}.{os.getpid()}.{threading.get_ident()}"
        tmp.write_text(name)
        os.replace(tmp, self.root / POINTER)

    def update(self, docs: Iterable[Document], delete_ids: Iterable[str] = ()) -> int:
        """Write documents (replacing same ids) and delete ids, in one commit."""
        ix = self._open()
        # compound=False: a small segment's files are closed with its readers (Whoosh leaves
        # a compound file open until a garbage collection; see held.close_searcher).
        writer = ix.writer(timeout=30.0, delay=0.05, compound=False)
        leaves = []
        try:  # whatever fails, the writer is cancelled: its lock must not outlive it
            # The searcher the writer keeps for finding replaced documents: its compound
            # files (the rebuilt segment) are closed below.
            leaves = [leaf for leaf, _ in writer.searcher().reader().leaf_readers()]
            count = writing.write_documents(writer, docs, Path(ix.storage.folder), replace=True)
            for doc_id in delete_ids:
                writer.delete_by_term("id", doc_id)
                count += 1
        except BaseException:
            writer.cancel()
            close_compound_files(leaves)
            raise
        writer.commit()
        close_compound_files(leaves)
        ix.close()
        self.refresh(opened_only=True)
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
        ix = generations.open_dir(self.root / name)
        try:
            if procs > 1:
                children.die_with_parent()
                writer = ix.writer(procs=procs, multisegment=True,
                                   limitmb=writing.SEGMENT_LIMIT_MB)
                count = writing.write_committed(writer, docs, self.root / name)
            else:
                count = writing.write_segments(ix, docs, self.root / name)
        except BaseException:
            ix.close()
            shutil.rmtree(self.root / name, ignore_errors=True)
            raise
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
        with self.using_view() as view:
            out = {}
            for docnum in view.live().tolist():
                stored = view.stored_fields(docnum)
                out[stored["id"]] = stored.get("stamp", "")
            return out

    def size_bytes(self) -> int:
        name = self._live_name()
        folder = self.root / name if name else self.root
        return sum(p.stat().st_size for p in folder.glob("*") if p.is_file())

    # -- reading -----------------------------------------------------------------

    def _fresh(self) -> bool:
        """The current view shows the live generation as last committed. Every search asks:
        two stats answer while the index folders are as a full check found them (not reading
        the pointer and listing the generation's files: ~0.7 ms a search, issue 12)."""
        view, name = self._view, self._view_gen
        if view is None:
            return False
        times = generations.folder_times(self._root_text, name)
        if times is not None and times == view.folder_times:
            return True
        fresh = name == self._live_name() and view.searcher.up_to_date()
        if fresh and generations.settled(times):
            view.folder_times = times
        return fresh

    def refresh(self, warm: bool = True, opened_only: bool = False) -> bool:
        """If the index changed, open a view of it (warm: assembling what the current view
        was asked for, so the next searches run warm) and make it current. Called after a
        write and by each process's sync thread, off the request path; a search that finds
        the index changed calls it without warming. opened_only: not in a process that has
        not searched yet (a CLI import, the mail worker). Returns whether it opened one."""
        with self._refreshing:
            if self._fresh() or (opened_only and self._view is None):
                return False
            # Not searcher.refresh(): it reuses the reader of a segment that has new
            # deletions, so deleted and replaced programs would stay visible (an edited
            # program twice). Unchanged segments' reads are reused through _segments.
            ix, searcher = generations.retried(self._open_searcher)
            name = self._live_name()
            new = View(searcher, Path(ix.storage.folder), self._segments, self.answers)
            old = self._view
            if warm and old is not None and self._view_gen == name:
                new.warm_from(old)
            with self._lock:
                self._view, self._view_gen = new, name
                if old is not None:
                    self._retired.append(old)
                self._close_unused()
            return True

    def _close_unused(self) -> None:
        """Close replaced views no search is using (hold _lock): their open files go now,
        not at some later garbage collection."""
        for view in [v for v in self._retired if not self._users.get(id(v))]:
            self._retired.remove(view)
            close_searcher(view.searcher)

    @contextlib.contextmanager
    def using_view(self):
        """The current view (a new one if the index changed), kept open while in use."""
        if not self._fresh():
            self.refresh(warm=False)
        with self._lock:
            view = self._view
            self._users[id(view)] = self._users.get(id(view), 0) + 1
        try:
            with view.reading:
                yield view
        finally:
            with self._lock:
                left = self._users.pop(id(view)) - 1
                if left:
                    self._users[id(view)] = left
                self._close_unused()

    def close(self) -> None:
        with self._lock:
            if self._view is not None:
                self._retired.append(self._view)
                self._view = None
            self._close_unused()

    def search(self, req: SearchRequest) -> SearchResult:
        with self.using_view() as view:
            return answering.answer(view, req)

    def remembered(self, key, compute) -> tuple[object, bool]:
        """(the value kept for `key` with the current view, True), or (compute(), False),
        kept. A change to the index opens a new view, which starts with nothing kept."""
        if not self.answers:
            return compute(), False
        if not self._fresh():
            self.refresh(warm=False)
        view = self._view
        found = view.answers.get(key)
        if found is not None:
            return found, True
        value = compute()  # searches (taking the view's reading lock itself)
        view.answers.put(key, value)
        return value, False
