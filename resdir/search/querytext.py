"""From what a person typed to the groups of words a search scores.

Nothing the user types is parsed as query syntax: the text is cut into words, each word is
analysed like the indexed text (lowercase, stop words, stemming), and the query is built
from those terms. Operators, quotes, wildcards and field names are just characters.

The vocabulary of lexicon.toml shapes the groups: the longest known phrase is one group
("bus pass"), a group has its synonyms as alternatives, words that carry no topic ("help",
"near me", "tonight") are optional, and a group that names a need carries the categories
of that need.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from whoosh import query

from resdir.search import lexicon
from resdir.search.schema import PHRASE_TERMS, WORD_ANALYZER

MAX_WORDS = 12  # longer text keeps its first words; a query never grows without bound
MAX_WORD_LEN = 40
_WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)
TYPED_BOOST = 1.25  # the words typed score a little above their synonyms


@dataclass(frozen=True)
class Group:
    """One topic of a query: alternatives (each a list of words, the typed words first),
    whether a program needs it, the categories it names, and the words that, in a
    program's name, mean the other sense of it."""

    alternatives: tuple[tuple[str, ...], ...]
    optional: bool = False
    categories: frozenset[str] = frozenset()
    wrong_sense: frozenset[str] = frozenset()
    # True when the phrase names a whole need: a program in the category matches it.
    whole_need: bool = False
    # (alternative, longer phrases that make a mention of it the other thing), for the
    # alternatives lexicon.toml qualifies and whose qualifying words were not typed.
    qualified: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()


def words(text: str | None) -> list[str]:
    """Cut user text into at most MAX_WORDS lowercase words; drop everything else."""
    if not text:
        return []
    text = unicodedata.normalize("NFKC", text[:2000])
    found = (w.casefold()[:MAX_WORD_LEN] for w in _WORD_RE.findall(text))
    return [w for w in found if w][:MAX_WORDS]


def analyse(word: str) -> list[str]:
    """The indexed form(s) of one word; [] for stop words."""
    return list(_analysed(word))


@lru_cache(maxsize=65536)
def _analysed(word: str) -> tuple[str, ...]:
    # Each distinct word is analysed once per process: a query analyses each of its words
    # and synonyms several times (parse, correct, scoring, snippet terms; issue 12).
    return tuple(token.text for token in WORD_ANALYZER(word))


def parse(ws: list[str]) -> list[Group]:
    """The query's groups; words that analyse to nothing (stop words) are left out.

    When every word is optional ("help"), they are all needed: a query always needs
    something."""
    return list(_parse(tuple(ws)))


@lru_cache(maxsize=4096)
def _parse(ws: tuple[str, ...]) -> tuple[Group, ...]:
    # Kept: queries repeat a few thousand words and pairs (issue 12); Groups are frozen.
    out: list[Group] = []
    typed = frozenset(ws)
    spans = _named_spans(ws)
    i = 0
    while i < len(ws):
        if i in spans:
            out.append(_named_group(ws[i:spans[i]], ws[spans[i]]))
            i = spans[i] + 1
            continue
        for size in range(min(lexicon.MAX_PHRASE, len(ws) - i), 0, -1):
            phrase = " ".join(ws[i : i + size])
            if size > 1 and phrase not in lexicon.PHRASES:
                continue
            alternatives = [tuple(ws[i : i + size])]
            alternatives += [tuple(alt.split()) for alt in lexicon.SYNONYMS.get(phrase, [])]
            alternatives = [a for a in alternatives if any(analyse(w) for w in a)]
            if alternatives:
                out.append(Group(
                    alternatives=tuple(alternatives),
                    optional=size == 1 and phrase in lexicon.OPTIONAL,
                    categories=(lexicon.NEEDS.get(phrase, frozenset())
                                | lexicon.TOPICS.get(phrase, frozenset())),
                    wrong_sense=lexicon.SENSES.get(phrase, frozenset()) - typed,
                    whole_need=phrase in lexicon.NEEDS,
                    qualified=_qualified(alternatives, typed),
                ))
            i += size
            break
    if out and all(g.optional for g in out):
        out = [Group(g.alternatives, False, g.categories, g.wrong_sense, g.whole_need,
                     g.qualified) for g in out]
    return tuple(out)


def _unknown(word: str) -> bool:
    return word not in lexicon.KNOWN_WORDS and not word.isdigit()


@lru_cache(maxsize=4096)
def _named_spans(ws: tuple[str, ...]) -> dict[int, int]:
    """Where words the vocabulary does not know are followed by a word of lexicon.toml's
    [named]: start of the unknown words -> position of the named word ("help paying PG&E
    bill": {2: 4}). Only stop words before it ("pay the bill") are no name."""
    spans: dict[int, int] = {}
    i = 0
    while i < len(ws):
        end = i
        while end < len(ws) and _unknown(ws[end]):
            end += 1
        if i < end < len(ws) and ws[end] in lexicon.NAMED and any(analyse(w)
                                                                   for w in ws[i:end]):
            spans[i] = end
        i = max(end, i + 1)
    return spans


def _named_group(name: tuple[str, ...], word: str) -> Group:
    """One group of the phrase the [named] word stands for ("utility bill": its synonyms and
    need), the unknown words before it (the company) its first alternative."""
    phrase = lexicon.NAMED[word]
    alternatives = [name, tuple(phrase.split())]
    alternatives += [tuple(alt.split()) for alt in lexicon.SYNONYMS.get(phrase, [])]
    return Group(alternatives=tuple(alternatives),
                 categories=lexicon.NEEDS.get(phrase, frozenset())
                 | lexicon.TOPICS.get(phrase, frozenset()),
                 whole_need=phrase in lexicon.NEEDS)


# "food and clothing", "diapers or formula": the person asks for either kind of help.
CONJUNCTIONS = frozenset({"and", "or"})


def either(ws: list[str]) -> bool:
    """True when "and"/"or" joins two needed parts of the query ("emergency food and
    clothing"): a program offering one of them matches, one offering both ranks higher."""
    for i, w in enumerate(ws):
        if w in CONJUNCTIONS and 0 < i < len(ws) - 1:
            before = [g for g in parse(ws[:i]) if not g.optional]
            after = [g for g in parse(ws[i + 1:]) if not g.optional]
            if before and after:
                return True
    return False


@lru_cache(maxsize=1)
def _qualified_by_term() -> dict:
    # By index term: "shelters" is qualified like "shelter". Made once (issue 12: it was
    # made for every new query's every group).
    return {phrase_of(key): (key, longer) for key, longer in lexicon.QUALIFIED.items()}


def _qualified(alternatives, typed: frozenset[str]):
    by_term = _qualified_by_term()
    out = []
    for alt in alternatives:
        key, longer = by_term.get(phrase_of(alt), ("", ()))
        longer = tuple(
            q for q in longer if not (set(q.split()) - set(key.split())) & typed
        )
        if longer:
            out.append((alt, longer))
    return tuple(out)


def groups(ws: list[str]) -> list[list[list[str]]]:
    """The alternatives of each group, as lists of words (for callers that only read)."""
    return [[list(a) for a in g.alternatives] for g in parse(ws)]


def is_plain(ws: list[str]) -> bool:
    """True when the query is exactly its typed words: no synonyms, optional words or
    needs (a plain full-text search would find the same programs)."""
    return all(len(g.alternatives) == 1 and not g.optional and not g.categories
               for g in parse(ws))


def alternative_query(alt: tuple[str, ...], field: str, indexed=None) -> query.Query | None:
    """All the words of one alternative; a known phrase as its phrase term when the index
    has that term (`indexed(term)`; an index built before the phrase was added to the
    vocabulary has not: then its words anywhere)."""
    texts = [t for w in alt for t in analyse(w)]
    if not texts:
        return None
    if len(texts) > 1 and tuple(texts) in PHRASE_TERMS:
        joined = lexicon.phrase_term(texts)
        if indexed is None or indexed(joined):
            return query.Term(field, joined)
    terms = [query.Term(field, t) for t in texts]
    return terms[0] if len(terms) == 1 else query.And(terms)


def group_alternatives(group: Group, field: str, indexed=None):
    """(alternative, query) for each alternative that has searchable words, the typed
    words boosted. Without `indexed` (every phrase term is taken as indexed) the answer
    is kept per group and field (the queries are never changed after)."""
    if indexed is None:
        return list(_kept_alternatives(group, field))
    return _group_alternatives(group, field, indexed)


@lru_cache(maxsize=4096)
def _kept_alternatives(group: Group, field: str) -> tuple:
    return tuple(_group_alternatives(group, field, None))


def _group_alternatives(group: Group, field: str, indexed):
    subs = [(a, q) for a, q in ((a, alternative_query(a, field, indexed))
                                for a in group.alternatives) if q]
    if len(subs) > 1:
        subs[0] = (subs[0][0], subs[0][1].with_boost(TYPED_BOOST))
    return subs


def group_queries(group: Group, field: str, indexed=None) -> list[query.Query]:
    """One query per alternative (None-free), the typed words boosted."""
    return [q for _, q in group_alternatives(group, field, indexed)]


def phrase_of(words_: tuple[str, ...] | str) -> str | None:
    """The one index term of a word or of a known phrase of several words, or None."""
    if isinstance(words_, str):
        words_ = tuple(words_.split())
    texts = tuple(t for w in words_ for t in analyse(w))
    if len(texts) == 1:
        return texts[0]
    return lexicon.phrase_term(list(texts)) if texts in PHRASE_TERMS else None


def build(ws: list[str], require_all: bool, field: str = "content") -> query.Query | None:
    """A Whoosh query for the words (each group the best of its alternatives), or None
    when nothing searchable is left. Optional groups are left out."""
    parts = []
    for group in parse(ws):
        if group.optional:
            continue
        subs = group_queries(group, field)
        if subs:
            parts.append(subs[0] if len(subs) == 1 else query.DisjunctionMax(subs))
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return query.And(parts) if require_all else query.Or(parts)


def terms_of(ws: list[str]) -> frozenset[str]:
    """Every analysed term the query may match, for highlighting snippets."""
    return _terms_of(tuple(ws))


@lru_cache(maxsize=4096)
def _terms_of(ws: tuple[str, ...]) -> frozenset[str]:
    # Kept as _parse is (issue 12).
    return frozenset(
        t for g in _parse(ws) for alt in g.alternatives for w in alt for t in analyse(w))


def _names_company(ws: list[str], i: int) -> bool:
    """Whether ws[i] is one of the unknown words before a [named] word ("pg" in "PG&E bill")."""
    return any(start <= i < end for start, end in _named_spans(tuple(ws)).items())


def correct(ws: list[str], known, suggest) -> list[str] | None:
    """Replace words that match nothing by their nearest known word.

    `known(term)` tells whether an analysed term is in the index; `suggest(word)` returns
    the nearest indexed word or None. Words of the search vocabulary are never replaced
    ("tonight" is not a typo of "night"), nor is the name before a [named] word (a
    directory that never says "Comcast" does not make "Comcast bill" a "compass bill").
    Returns the corrected words, or None if none changed.
    """
    fixed, changed = [], False
    for i, w in enumerate(ws):
        terms = analyse(w)
        if (len(w) >= 3 and terms and w not in lexicon.KNOWN_WORDS
                and not any(known(t) for t in terms) and not w.isdigit()
                and not _names_company(ws, i)):
            better = suggest(w)
            if better and better != w:
                fixed.append(better)
                changed = True
                continue
        fixed.append(w)
    return fixed if changed else None
