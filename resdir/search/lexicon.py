"""The search vocabulary of lexicon.toml: optional words, needs, topics, synonyms, senses,
qualified phrases, stems.

Read once at import. The file is data (how people ask), so that it can grow without code
changes; tests/test_relevance.py checks each kind of entry on a real index.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from whoosh.analysis import Filter
from whoosh.lang.porter import stem as porter_stem

LEXICON_FILE = Path(__file__).with_name("lexicon.toml")


def _load(path: Path) -> dict:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    unknown = set(data) - {"optional", "needs", "topics", "synonyms", "senses", "stems",
                           "qualified", "named"}
    if unknown:
        raise ValueError(f"{path}: unknown section(s) {', '.join(sorted(unknown))}")
    return data


_DATA = _load(LEXICON_FILE)

OPTIONAL: frozenset[str] = frozenset(_DATA.get("optional", []))
SYNONYMS: dict[str, list[str]] = dict(_DATA.get("synonyms", {}))
SENSES: dict[str, frozenset[str]] = {
    word: frozenset(others) for word, others in _DATA.get("senses", {}).items()
}
STEMS: dict[str, str] = dict(_DATA.get("stems", {}))
QUALIFIED: dict[str, list[str]] = dict(_DATA.get("qualified", {}))
# word -> phrase it stands for after words the vocabulary does not know ("PG&E bill").
NAMED: dict[str, str] = dict(_DATA.get("named", {}))



def _by_phrase(table: dict[str, list[str]]) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for slug, phrases in table.items():
        for phrase in phrases:
            out[phrase] = out.get(phrase, frozenset()) | {slug}
    return out


# phrase -> the category slugs it names: NEEDS name a whole need (a program in the
# category matches the phrase), TOPICS a narrower thing (the category only ranks higher).
NEEDS: dict[str, frozenset[str]] = _by_phrase(_DATA.get("needs", {}))
TOPICS: dict[str, frozenset[str]] = _by_phrase(_DATA.get("topics", {}))

# Phrases that form one group of words (longest first wins).
PHRASES: frozenset[str] = frozenset(SYNONYMS) | frozenset(NEEDS) | frozenset(TOPICS)
MAX_PHRASE = max(len(p.split()) for p in PHRASES)

# Every phrase of two or more words the vocabulary names, synonyms included: indexed as
# one term too ("child care" -> child_care), so a phrase is found only where its words
# stand together, not wherever "child" and "care" both occur.
MULTIWORD: frozenset[str] = frozenset(
    p for p in (*PHRASES, *(alt for alts in SYNONYMS.values() for alt in alts),
                *(q for qs in QUALIFIED.values() for q in qs)) if " " in p
)

# Words never "corrected" to another: the vocabulary itself ("tonight" is not "night").
KNOWN_WORDS: frozenset[str] = frozenset(
    w for phrase in (*OPTIONAL, *PHRASES) for w in phrase.split()
)


def stem(word: str) -> str:
    """Porter's stem, except for the words lexicon.toml stems itself ("riding" stays
    "riding", so "ride" does not find horse riding)."""
    return STEMS.get(word) or porter_stem(word)


def phrase_term(terms: list[str]) -> str:
    return "_".join(terms)


class PhraseFilter(Filter):
    """After stemming: where the terms of a known phrase follow each other, add the
    phrase as one more term, its terms joined by "_" (stop words between them are
    already gone, so "place to stay" is place_stay)."""

    def __init__(self, phrases: frozenset[tuple[str, ...]]):
        self.phrases = phrases
        self.longest = max((len(p) for p in phrases), default=0)

    def __call__(self, tokens):
        recent: list[str] = []
        for token in tokens:
            text = token.text
            yield token
            if self.longest < 2:
                continue
            recent.append(text)
            del recent[: -self.longest]
            for size in range(2, len(recent) + 1):
                key = tuple(recent[-size:])
                if key in self.phrases:
                    # Whoosh passes one token object along; the consumer has read it.
                    token.text = "_".join(key)
                    yield token
