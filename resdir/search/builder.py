"""Writing a rebuild's segments without Whoosh's per-posting machinery, into the same files.

Whoosh 2.7's `add_document` turns every posting into a tuple in a pool; `commit` sorts the
pool, then passes the postings one at a time through three layers of calls (type asserts, a
length read back per posting) into blocks of 128: together about three quarters of a
rebuild's CPU time. SegmentBuilder appends each document's terms, frequencies and number to
three flat lists per field (C-level extends, no Python work per posting), groups them by term
with one stable numpy sort at commit (so each term's documents stay in order), and hands
Whoosh's own block writer whole blocks with the statistics it would have gathered posting by
posting. Stored
fields, columns, field lengths, the term table, the segment and its TOC are written by
Whoosh's own writers as before, so the files hold the same bytes as `add_document` then
`commit` writes (tests/test_index_build.py compares them file by file).

Only what resdir's schema needs: indexed fields in the Existence or Frequency format, no
positions, vectors, separate spelling words or token boosts (`SegmentBuilder` refuses
them). Updates of a few documents still go
through Whoosh's writer (writing.write_documents).
"""

from __future__ import annotations

from array import array
from collections import Counter
from itertools import repeat

import numpy as np
from whoosh import formats

# Values of a keyword field repeat across programs (status, categories, languages, cells,
# age, hours...): their terms are worked out by Whoosh once per distinct value, up to this many
# values per field (then the cache starts again, so memory stays bounded).
_CACHE_LIMIT = 50_000


class _Postings:
    """One field's postings in the order they were added: term, document, frequency."""

    __slots__ = ("terms", "docs", "freqs")

    def __init__(self) -> None:
        self.terms: list[str] = []
        self.docs: list[int] = []
        self.freqs: list[int] = []


class SegmentBuilder:
    """Adds documents to a Whoosh SegmentWriter's new segment; `commit` finishes it."""

    def __init__(self, writer) -> None:
        self.writer = writer
        self.schema = writer.schema
        self._base = writer.docnum
        self._fields = {}
        for name, field in self.schema.items():
            if field.indexed and type(field.format) not in (formats.Existence,
                                                             formats.Frequency):
                raise TypeError(f"{name}: SegmentBuilder writes only Existence and "
                                f"Frequency postings, not {type(field.format).__name__}")
            if field.vector or field.separate_spelling():
                raise TypeError(f"{name}: SegmentBuilder writes no vectors or spelling words")
            self._fields[name] = field
        self._postings: dict[str, _Postings] = {}
        # scorable field -> each document's length (Whoosh's block statistics keep lengths
        # as the length column's bytes, so the exact length gives the same bytes)
        self._lengths: dict[str, array] = {}
        self._cache: dict[str, dict[str, tuple]] = {}

    def add(self, fields: dict) -> None:
        """As `writer.add_document(**fields)`."""
        writer = self.writer
        docnum = writer.docnum
        perdoc = writer.perdocwriter
        perdoc.start_doc(docnum)
        try:
            for name in sorted(fields):
                value = fields[name]
                field = self._fields.get(name)
                if field is None:
                    raise ValueError(f"unknown index field {name!r}")
                if value is None:
                    continue
                length = self._index(name, field, value, docnum) if field.indexed else 0
                perdoc.add_field(name, field, value if field.stored else None, length)
                column = field.column_type
                if column:
                    perdoc.add_column_value(name, column, field.to_column_value(value))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        writer._added = True
        writer.docnum += 1

    def _index(self, name: str, field, value, docnum: int) -> int:
        """Record the value's postings; return the field length Whoosh would store."""
        postings = self._postings.get(name)
        if postings is None:
            postings = self._postings[name] = _Postings()
        terms, freqs, length = self._terms(name, field, value)
        postings.terms.extend(terms)
        postings.freqs.extend(freqs)
        postings.docs.extend(repeat(docnum, len(terms)))
        if not field.scorable:
            return 0
        lengths = self._lengths.get(name)
        if lengths is None:
            lengths = self._lengths[name] = array("I")
        lengths.extend(repeat(0, docnum - self._base + 1 - len(lengths)))
        lengths[docnum - self._base] = length
        return length

    def _terms(self, name: str, field, value) -> tuple:
        """(terms, their frequencies, the field length) of a value: counted from a list of
        analysed terms, or Whoosh's own analysis of a text (once per distinct text of a
        keyword field)."""
        if isinstance(value, list | tuple):
            if type(field.format) is formats.Existence:
                terms = tuple(set(value))
                return terms, repeat(1, len(terms)), len(terms)
            counts = Counter(value)
            return counts.keys(), counts.values(), len(value)
        # Not a program's own texts (its id, or a text field given unanalysed).
        cache = (None if field.unique or field.scorable
                 else self._cache.setdefault(name, {}))
        found = cache.get(value) if cache is not None else None
        if found is None:
            boost = field.format.field_boost
            terms, freqs = [], []
            for term, freq, weight, _ in field.format.word_values(value, field.analyzer,
                                                                   mode="index"):
                if weight != freq * boost:  # token boosts: not written by this builder
                    raise ValueError(f"{name}: term {term!r} has weight {weight}")
                terms.append(term)
                freqs.append(freq)
            found = (tuple(terms), tuple(freqs), sum(freqs))
            if cache is not None:
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                cache[value] = found
        return found

    def commit(self, **kwargs) -> None:
        """`writer.commit(**kwargs)`, writing this builder's postings as the new segment's."""
        writer = self.writer
        writer._flush_segment = self._flush
        writer.commit(**kwargs)

    def cancel(self) -> None:
        self.writer.cancel()

    def _flush(self) -> None:
        """SegmentWriter._flush_segment: close the per-document files, write the postings."""
        writer = self.writer
        writer.perdocwriter.close()
        fieldwriter = writer.fieldwriter
        for name in sorted(self._postings):
            postings = self._postings.pop(name)
            if not postings.terms:
                continue
            field = self._fields[name]
            fieldwriter.start_field(name, field)
            _write_field(fieldwriter, postings, field, self._lengths.get(name), self._base)
            fieldwriter.finish_field()
        fieldwriter.close()


def _write_field(fieldwriter, postings: _Postings, field, lengths, base: int) -> None:
    """Every term of one field, in order (UTF-8 keeps code point order, so sorting the
    strings sorts their bytes), each with its documents in the order they were added."""
    vocabulary = sorted(set(postings.terms))
    number = {term: i for i, term in enumerate(vocabulary)}
    ids = np.fromiter(map(number.__getitem__, postings.terms), dtype=np.int64,
                      count=len(postings.terms))
    order = np.argsort(ids, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(ids, minlength=len(vocabulary)))])
    docs = np.asarray(postings.docs, dtype=np.int64)[order]
    freqs = np.asarray(postings.freqs, dtype=np.int64)[order]
    postings.terms = postings.docs = postings.freqs = []  # free them while writing
    boost = field.format.field_boost
    frequencies = type(field.format) is formats.Frequency
    block = _Blocks(
        docs=docs.tolist(), freqs=freqs.tolist(),
        weights=(freqs * boost).astype(np.float32).tobytes(),
        values=freqs.astype(">u4").tobytes() if frequencies else None,
        lengths=(np.asarray(lengths, dtype=np.int64)[docs - base].tolist()
                 if lengths is not None else None),
        boost=boost)
    bounds = bounds.tolist()
    for i, term in enumerate(vocabulary):
        fieldwriter.start_term(term.encode("utf-8"))
        block.write(fieldwriter._postwriter, bounds[i], bounds[i + 1])
        fieldwriter.finish_term()


class _Blocks:
    """A field's postings sorted by term; `write` gives W3PostingsWriter what add_posting
    would have buffered, a block at a time: each full block is written when the next
    posting arrives, the last one stays for finish_postings (which writes it)."""

    def __init__(self, docs, freqs, weights, values, lengths, boost) -> None:
        self.docs, self.freqs, self.weights = docs, freqs, weights
        self.values, self.lengths, self.boost = values, lengths, boost

    def write(self, postwriter, start: int, end: int) -> None:
        limit = postwriter._blocklimit
        for first in range(start, end, limit):
            if first > start:
                postwriter._write_block()
            last = min(first + limit, end)
            postwriter._ids = array("I", self.docs[first:last])
            weights = array("f")
            weights.frombytes(self.weights[4 * first : 4 * last])
            postwriter._weights = weights
            postwriter._maxweight = max(self.freqs[first:last]) * self.boost
            # One string of the block's packed frequencies: Whoosh joins the values of a
            # fixed-size format into one anyway (W3PostingsWriter._mini_values).
            postwriter._values = ([self.values[4 * first : 4 * last]]
                                  if self.values is not None else [])
            found = None
            if self.lengths is not None:  # a scorable field: its documents' lengths
                found = [n for n in self.lengths[first:last] if n]
            postwriter._minlength = min(found) if found else None
            postwriter._maxlength = max(found) if found else 0
