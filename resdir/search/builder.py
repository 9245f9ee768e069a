"""Writing a rebuild's segments without Whoosh's per-posting machinery, into the same files.

Whoosh 2.7's `add_document` turns every posting into a tuple in a pool; `commit` sorts the
pool, then passes the postings one at a time through three layers of calls (type asserts, a
length read back per posting) into blocks of 128: together about three quarters of a
rebuild's CPU time. SegmentBuilder keeps each term's documents in plain lists as documents
arrive (in document order already, so only the terms are sorted) and hands Whoosh's own block
writer whole blocks with the statistics it would have gathered posting by posting. Stored
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

from whoosh import formats
from whoosh.system import pack_uint

# Values of a keyword field repeat across programs (status, categories, languages, cells,
# age, hours...): their terms are worked out by Whoosh once per distinct value, up to this many
# values per field (then the cache starts again, so memory stays bounded).
_CACHE_LIMIT = 50_000


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
        # field -> term -> documents (and, for Frequency fields, the term's frequencies)
        self._docs: dict[str, dict[str, list[int]]] = {}
        self._freqs: dict[str, dict[str, list[int]]] = {}
        # scorable field -> each document's length (Whoosh's block statistics keep lengths
        # as the length column's bytes, so the exact length gives the same bytes)
        self._lengths: dict[str, array] = {}
        self._cache: dict[str, dict[str, tuple[str, ...]]] = {}

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
        docs = self._docs.setdefault(name, {})
        pairs = self._terms(name, field, value)
        if type(field.format) is formats.Frequency:
            freqs = self._freqs.setdefault(name, {})
            for term, freq in pairs:
                found = docs.get(term)
                if found is None:
                    docs[term] = [docnum]
                    freqs[term] = [freq]
                else:
                    found.append(docnum)
                    freqs[term].append(freq)
        else:
            for term, _ in pairs:
                found = docs.get(term)
                if found is None:
                    docs[term] = [docnum]
                else:
                    found.append(docnum)
        if not field.scorable:
            return 0
        length = len(value) if isinstance(value, list | tuple) else sum(f for _, f in pairs)
        lengths = self._lengths.get(name)
        if lengths is None:
            lengths = self._lengths[name] = array("I")
        lengths.extend([0] * (docnum - self._base + 1 - len(lengths)))
        lengths[docnum - self._base] = length
        return length

    def _terms(self, name: str, field, value):
        """(term, frequency) pairs of a value: counted from a list of analysed terms, or
        Whoosh's own analysis of a text, once per distinct text of the field."""
        if isinstance(value, list | tuple):
            if type(field.format) is formats.Existence:
                return [(term, 1) for term in set(value)]
            return Counter(value).items()
        # Not a program's own texts (its id, or a text field given unanalysed).
        cache = (None if field.unique or field.scorable
                 else self._cache.setdefault(name, {}))
        pairs = cache.get(value) if cache is not None else None
        if pairs is None:
            boost = field.format.field_boost
            pairs = []
            for term, freq, weight, _ in field.format.word_values(value, field.analyzer,
                                                                   mode="index"):
                if weight != freq * boost:  # token boosts: not written by this builder
                    raise ValueError(f"{name}: term {term!r} has weight {weight}")
                pairs.append((term, freq))
            pairs = tuple(pairs)
            if cache is not None:
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                cache[value] = pairs
        return pairs

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
        for name in sorted(self._docs):
            terms = self._docs[name]
            if not terms:
                continue
            field = self._fields[name]
            fieldwriter.start_field(name, field)
            freqs = self._freqs.get(name)
            lengths = self._lengths.get(name)
            boost = field.format.field_boost
            # UTF-8 keeps code point order, so sorting the strings sorts their bytes.
            for term in sorted(terms):
                fieldwriter.start_term(term.encode("utf-8"))
                _write_postings(fieldwriter._postwriter, terms[term],
                                freqs[term] if freqs is not None else None,
                                lengths, self._base, boost)
                fieldwriter.finish_term()
            fieldwriter.finish_field()
        fieldwriter.close()


def _write_postings(postwriter, docs: list[int], freqs: list[int] | None, lengths,
                    base: int, boost: float) -> None:
    """What W3PostingsWriter.add_posting would have buffered, a block at a time: every full
    block is written as the next posting arrives; the last one stays for finish_postings."""
    limit = postwriter._blocklimit
    for start in range(0, len(docs), limit):
        if start:
            postwriter._write_block()
        ids = docs[start : start + limit]
        postwriter._ids = array("I", ids)
        if freqs is None:
            weights = [float(boost)] * len(ids)
            postwriter._values = []
        else:
            counts = freqs[start : start + limit]
            weights = [f * boost for f in counts]
            postwriter._values = [pack_uint(f) for f in counts]
        postwriter._weights = array("f", weights)
        postwriter._maxweight = max(weights)
        found = None
        if lengths is not None:  # a scorable field: the lengths of its documents
            found = [n for n in (lengths[d - base] for d in ids) if n]
        postwriter._minlength = min(found) if found else None
        postwriter._maxlength = max(found) if found else 0
