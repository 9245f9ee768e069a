"""The Whoosh schema and how a Document becomes index fields.

Every posting costs Whoosh (pure Python) several microseconds to write, so the schema keeps
them few: per program the words of its text, four grid cells, and one term each for its
status, capacity, time zone, age range and weekly hours. Age ranges and weekly hours are
single terms that spell out their values ("18-64", "540-1020,1980-2460"): a query reads
the few distinct values from the lexicon, keeps those that fit, and unions their postings.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import struct
from itertools import chain

from whoosh import columns, fields
from whoosh.analysis import STOP_WORDS, StemmingAnalyzer

from resdir.search import whoosh_patches
from resdir.search.lexicon import MULTIWORD, PhraseFilter, stem
from resdir.search.types import Document

# Porter stemming with lexicon.toml's exceptions ("riding" is not "ride"), then the
# vocabulary's phrases as terms of their own (lexicon.PhraseFilter).
WORD_ANALYZER = StemmingAnalyzer(minsize=2, stemfn=stem)
PHRASE_TERMS: frozenset[tuple[str, ...]] = frozenset(
    terms for terms in (tuple(t.text for t in WORD_ANALYZER(p)) for p in MULTIWORD)
    if len(terms) > 1
)
ANALYZER = WORD_ANALYZER | PhraseFilter(PHRASE_TERMS)
# Written into each index generation: the phrases its documents were analysed with. A
# query trusts that a phrase absent from such an index is absent from the texts; in an
# older index it looks for the phrase's words instead (see querytext.alternative_query).
VOCABULARY_FILE = "vocabulary.txt"
VOCABULARY_STAMP = hashlib.sha256(
    "\n".join(sorted("_".join(t) for t in PHRASE_TERMS)).encode()).hexdigest()
NEVER_VERIFIED = "never"

# Grid cells in degrees, finest first, written into each document's `cell` field. Searches
# no longer read them (a radius uses search/nearby.py's sorted points); the field stays so
# that indexes built before keep their schema and need no rebuild.
CELL_SIZES = (0.05, 0.2, 1.0, 5.0)
MAX_AGE = 120
ANY_AGE = "any"
WEEK_MINUTES = 7 * 24 * 60
_POINT = struct.Struct("<dd")
# Words as Whoosh's default tokenizer cuts them (before stop words and stemming).
_WORD_RE = re.compile(r"\w+(?:\.?\w+)*", re.UNICODE)


def make_schema() -> fields.Schema:
    return fields.Schema(
        id=fields.ID(unique=True, stored=True),
        stamp=fields.STORED(),
        # phrase=False: no positions, since queries are plain words (smaller, faster).
        # No spelling=True: it indexes every word a second time, unstemmed; "did you mean"
        # reads a word list written beside the index instead (see SearchIndex).
        content=fields.TEXT(analyzer=ANALYZER, phrase=False),
        # The program's name and the source's taxonomy terms again: a word there counts
        # more than a passing mention in a long description (see relevance.py).
        title=fields.TEXT(analyzer=ANALYZER, phrase=False),
        name_sort=fields.COLUMN(columns.VarBytesColumn()),  # casefolded name, UTF-8
        category=fields.KEYWORD(scorable=False),
        language=fields.KEYWORD(scorable=False),
        status=fields.ID(),
        capacity=fields.ID(),
        age=fields.ID(),  # one term: "LOW-HIGH" or "any"
        cell=fields.KEYWORD(scorable=False),
        week=fields.ID(),  # one term: the weekly open spans (none when hours are unknown)
        flags=fields.KEYWORD(scorable=False),  # "closures": has dated closures to check
        tz=fields.ID(),
        verified=fields.ID(),  # one term: the ISO date last verified, or "never"
        geo=fields.COLUMN(columns.VarBytesColumn()),  # packed (lat, lon) pairs
        hours=fields.STORED(),
        # Document.shown: a column, not a stored field, so reading a page of hits reads
        # only these bytes (not each hit's whole stored record, unpickled); compressed
        # (zlib), it adds about 45% to the index instead of 135% (mostly descriptions).
        shown=fields.COLUMN(columns.CompressedBytesColumn()),
    )


def schema_fields() -> frozenset[str]:
    """Names of the current schema's fields (an index with others must be rebuilt)."""
    return frozenset(make_schema().names())


def cell_key(level: int, lat: float, lon: float) -> str:
    size = CELL_SIZES[level]
    return f"{level}:{math.floor(lat / size)}:{math.floor(lon / size)}"


def cells_for_points(points: list[tuple[float, float]]) -> set[str]:
    return {cell_key(level, lat, lon) for lat, lon in points for level in range(len(CELL_SIZES))}


def week_key(open_minutes: list[tuple[int, int]] | None) -> str | None:
    """The weekly open spans as one term: merged [start, end) minute ranges, e.g.
    "540-1020,1980-2460"; None when never open or hours are unknown."""
    spans = sorted(
        (max(0, start), min(WEEK_MINUTES, end))
        for start, end in open_minutes or []
        if min(WEEK_MINUTES, end) > max(0, start)
    )
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return ",".join(f"{a}-{b}" for a, b in merged) or None


def parse_week(key: str) -> list[tuple[int, int]]:
    return [tuple(map(int, span.split("-"))) for span in key.split(",")]


def age_key(minimum: int | None, maximum: int | None) -> str:
    if minimum is None and maximum is None:
        return ANY_AGE
    low = max(0, minimum or 0)
    high = min(MAX_AGE, MAX_AGE if maximum is None else maximum)
    return f"{low}-{high}"


def parse_age(key: str) -> tuple[int, int] | None:
    """(low, high) of an age term; None for "any"."""
    if key == ANY_AGE:
        return None
    low, high = key.split("-")
    return int(low), int(high)


def pack_points(points: list[tuple[float, float]]) -> bytes:
    return b"".join(_POINT.pack(lat, lon) for lat, lon in points)


def unpack_points(data: bytes) -> list[tuple[float, float]]:
    return list(_POINT.iter_unpack(data)) if data else []


def spell_words(content: str) -> set[str]:
    """The unstemmed words of `content` that "did you mean" may suggest."""
    return {w for w in _WORD_RE.findall(content.lower()) if len(w) >= 2} - STOP_WORDS


def content_of(doc: Document) -> str:
    # The name twice: a word in the name matters more than one in the description.
    # Not resdir's category names either (as in title_of): a program in a category
    # counts through the need a query names (relevance.py), once; as words too, a
    # guessed category's name made a program with a short or empty description the best
    # text match for "child care" when the classifier had put a parenting class there.
    return " ".join([doc.name, doc.name, doc.organization, " ".join(doc.terms), doc.text])


def title_of(doc: Document) -> str:
    # Not resdir's category names: a category counts through the need it names
    # (relevance.py), and a broad or guessed category must not pass for the program's words.
    return " ".join([doc.name, *doc.terms])


# Words as WORD_ANALYZER's tokenizer cuts them (its pattern keeps "*" inside words).
_TOKEN_RE = re.compile(WORD_ANALYZER.items[0].expression.pattern.replace("(", "(?:"))


class Terms:
    """ANALYZER's terms of a text, each distinct word analysed once: Whoosh's analyzer chain
    (a Token object through four filters per word) was half the time of a rebuild, and a
    directory repeats the same few thousand words. The word cache lives as long as this
    object (one build or update). Whoosh takes a list of strings as the field's tokens."""

    def __init__(self) -> None:
        self._words: dict[str, tuple[str, ...]] = {}
        self._spelled: dict[str, str] = {}  # word -> its spell_words entry, or ""
        self._longest = max((len(p) for p in PHRASE_TERMS), default=0)
        self._ends = frozenset(p[-1] for p in PHRASE_TERMS)

    def __call__(self, text: str, spelled: set[str] | None = None) -> list[str]:
        """The terms of `text`; with `spelled`, also add spell_words(text) to it."""
        words = self._words
        tokens = _TOKEN_RE.findall(text)
        for word in set(tokens).difference(words):
            # The word alone through the same chain (lower case, stop words, stem).
            words[word] = tuple(t.text for t in WORD_ANALYZER(word))
            lower = word.lower()
            self._spelled[word] = lower if len(lower) >= 2 and lower not in STOP_WORDS else ""
        out = list(chain.from_iterable(map(words.__getitem__, tokens)))
        if spelled is not None:
            if text.isascii():
                # spell_words(text) without a second pass: lower-casing ASCII keeps the
                # words where they were, so the tokens lower-cased are the same words.
                spelled.update(map(self._spelled.__getitem__, tokens))
                spelled.discard("")
            else:
                spelled |= spell_words(text)
        if self._longest < 2 or self._ends.isdisjoint(out):
            return out
        return self._with_phrases(out)

    def _with_phrases(self, terms: list[str]) -> list[str]:
        """lexicon.PhraseFilter's output: after each term, the known phrases it ends."""
        ends = self._ends
        out: list[str] = []
        done = 0
        for i in [i for i, term in enumerate(terms) if term in ends]:
            out += terms[done : i + 1]
            done = i + 1
            for size in range(2, min(self._longest, i + 1) + 1):
                key = tuple(terms[i + 1 - size : i + 1])
                if key in PHRASE_TERMS:
                    out.append("_".join(key))
        out += terms[done:]
        return out


def to_fields(doc: Document, content: str | None = None, terms: Terms | None = None,
              spelled: set[str] | None = None) -> dict:
    """Return the keyword arguments of `writer.update_document` for one program. `terms`:
    the Terms of this build (content and title go to Whoosh analysed, as term lists).
    `spelled`: a set that spell_words(content) is added to."""
    week = week_key(doc.open_minutes)
    content = content if content is not None else content_of(doc)
    title = title_of(doc)
    if terms:
        content_terms = terms(content, spelled)
    else:
        content_terms = content
        if spelled is not None:
            spelled |= spell_words(content)
    out = {
        "id": doc.id,
        "stamp": doc.stamp,
        "content": content_terms,
        "title": terms(title) if terms else title,
        "name_sort": (doc.name.casefold()[:100] or " ").encode(),
        "category": " ".join(doc.categories),
        "language": " ".join(doc.languages),
        "status": doc.status.replace(" ", "_"),
        "capacity": doc.capacity or "unknown",
        "age": age_key(doc.minimum_age, doc.maximum_age),
        "cell": " ".join(sorted(cells_for_points(doc.points))),
        "tz": doc.timezone,
        "verified": doc.verified or NEVER_VERIFIED,
        "geo": pack_points(doc.points),
        "hours": json.dumps([doc.open_minutes or [], doc.closures], separators=(",", ":")),
        "shown": doc.shown.encode(),
    }
    if week:
        out["week"] = week
        if doc.closures:
            out["flags"] = "closures"
    return out


# Whoosh's writer and file names, patched at import (see whoosh_patches.py).
whoosh_patches.apply()
