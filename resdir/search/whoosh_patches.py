"""Three patches of Whoosh 2.7, applied when resdir.search.schema is imported: two make a
rebuild faster (answers unchanged), one keeps file names from repeating. Each checks its
target exists; tests/test_search_engine.py and tests/test_index_build.py fail loudly if a
Whoosh upgrade moves one."""

from __future__ import annotations

import logging
import random

from whoosh import util as whoosh_util
from whoosh.codec import whoosh3
from whoosh.util.numeric import byte_to_length


def apply() -> None:
    _patch_whoosh_lengths()
    _unrepeatable_file_names()


def _patch_whoosh_lengths() -> None:
    """Whoosh 2.7 looks up a field's length column for every posting it writes, and for a
    field without one (every unscored field) asks the disk again each time: one stat()
    per posting, a third of the time of a rebuild. Remember the answer instead."""
    cls = whoosh3.W3PerDocReader
    if getattr(cls, "_resdir_patched", False):
        return
    if not hasattr(cls, "_cached_reader"):  # tests/test_search_engine.py fails loudly too
        logging.getLogger(__name__).warning(
            "whoosh3.W3PerDocReader._cached_reader is gone (a Whoosh upgrade?): index "
            "builds run without resdir's length-column patch, about a third slower")
        return
    original = cls._cached_reader

    def _cached_reader(self, fieldname, column):
        if fieldname in self._readers:
            return self._readers[fieldname]
        reader = original(self, fieldname, column)
        if reader is None:
            self._readers[fieldname] = None  # the segment's files never change
        return reader

    cls._cached_reader = _cached_reader
    cls._resdir_original = original  # for tests/test_search_engine.py
    cls._resdir_patched = True
    _patch_whoosh_doc_lengths(cls)


# byte_to_length of every length byte; 0 is "no length", which Whoosh answers with None.
_LENGTHS = [None, *(byte_to_length(b) for b in range(1, 256))]


def _patch_whoosh_doc_lengths(cls) -> None:
    """Writing a segment's postings, Whoosh reads each posting's document length back from
    the new segment's length column: a seek and a read per posting, a fifth of the time of
    a rebuild. Read each field's column once (the segment's files never change) and look
    lengths up in memory; answers are Whoosh's (tests/test_index_build.py)."""
    if not hasattr(cls, "doc_field_length") or getattr(cls, "_resdir_lengths_patched", False):
        return
    original = cls.doc_field_length

    def doc_field_length(self, docnum, fieldname, default=0):
        if docnum > self._doccount:
            raise IndexError(f"Asked for docnum {docnum!r} of {self._doccount}")
        tables = self.__dict__.setdefault("_resdir_lengths", {})
        table = tables.get(fieldname)
        if table is None:
            reader = self._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
            table = tables[fieldname] = reader.load() if reader is not None else False
        if table is False:
            return default
        return _LENGTHS[table[docnum]] if docnum < len(table) else None

    cls.doc_field_length = doc_field_length
    cls._resdir_original_lengths = original  # for tests/test_index_build.py
    cls._resdir_lengths_patched = True


def _unrepeatable_file_names() -> None:
    """Whoosh names new segments and temporary files with the shared `random` module, so
    whatever reseeds it (a test framework does, before every example) makes the next names
    repeat: a write then opens an existing segment's files for writing, truncates them, and
    the index fails with "Unknown file header b''" and a writer lock left held. Draw names
    from the operating system's generator instead, which nothing can reseed."""
    if not isinstance(whoosh_util.random, random.SystemRandom):
        whoosh_util.random = random.SystemRandom()


