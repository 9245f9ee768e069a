"""Writing documents into Whoosh: a rebuild's segments, and the words "did you mean" reads."""

from __future__ import annotations

import contextlib
import gc
import itertools
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from resdir.search import words
from resdir.search.builder import SegmentBuilder
from resdir.search.schema import Terms, content_of, to_fields
from resdir.search.types import Document

# A rebuild writes a segment per SEGMENT_DOCS programs. Whoosh holds a segment's postings
# as Python tuples until it commits (~250 bytes each, ~50 per program): one segment of
# 100,000 programs peaked at 1.3 GB, and at 300,000 spilled sorted runs to disk and merged
# them (643 s). Segments of 25,000 keep the writer near 300 MB whatever N, and the build
# linear; searches read segments apart anyway (segments.py), and Whoosh's merge policy
# leaves segments this size alone. SEGMENT_LIMIT_MB is above what a segment needs, so it
# never spills.
SEGMENT_DOCS = 25_000
SEGMENT_LIMIT_MB = 512


def write_segments(ix, docs: Iterable[Document], folder: Path) -> int:
    """Add the documents to a new index, committing a segment per SEGMENT_DOCS (written by
    builder.SegmentBuilder: the same files as Whoosh's writer, a fraction of its time)."""
    docs = iter(docs)
    count = 0
    with _fewer_collections():
        while True:
            builder = SegmentBuilder(ix.writer(limitmb=SEGMENT_LIMIT_MB))
            try:
                written = _add_all(builder.add, itertools.islice(docs, SEGMENT_DOCS), folder)
            except BaseException:
                builder.cancel()
                raise
            builder.commit(merge=False)
            count += written
            if written < SEGMENT_DOCS:
                return count


@contextlib.contextmanager
def _fewer_collections():
    """A rebuild allocates millions of short-lived objects (rows, facts, documents, term
    lists) and makes no reference cycles of its own: with Python's default thresholds the
    cycle collector ran about every 700 allocations and took 5-10% of the build. Collect
    less often while it runs (the process-wide setting is put back after)."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def write_committed(writer, docs: Iterable[Document], folder: Path, **commit) -> int:
    """Add the documents and commit; cancel the writer if anything fails (its lock must
    not outlive it)."""
    try:
        count = write_documents(writer, docs, folder, replace=False)
    except BaseException:
        writer.cancel()
        raise
    writer.commit(**commit)
    return count


def write_documents(writer, docs: Iterable[Document], folder: Path, replace: bool) -> int:
    """Write (or, with replace, update) the documents and merge their words into the
    generation's word list (under the writer's lock)."""
    write = writer.update_document if replace else writer.add_document
    return _add_all(lambda fields: write(**fields), docs, folder)


def _add_all(write, docs: Iterable[Document], folder: Path) -> int:
    """Write each document's fields; merge their words into the word list."""
    count = 0
    found: Counter = Counter()
    terms = Terms()
    for doc in docs:
        content = content_of(doc)
        spelled: set[str] = set()
        write(to_fields(doc, content, terms, spelled))
        found.update(spelled)
        count += 1
    words.add_words(folder, found)
    return count
