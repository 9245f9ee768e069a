"""From what a person typed to a Whoosh query: plain words, lay synonyms, typo repair.

Nothing the user types is parsed as query syntax: the text is cut into words, each word is
analysed like the indexed text (lowercase, stop words, stemming), and the query is built
from those terms. Operators, quotes, wildcards and field names are just characters.
"""

from __future__ import annotations

import re
import unicodedata

from whoosh import query

from resdir.search.schema import ANALYZER

MAX_WORDS = 12  # longer text keeps its first words; a query never grows without bound
MAX_WORD_LEN = 40
_WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)

# Lay words -> the words programs use. Keys and values are plain lowercase phrases.
SYNONYMS: dict[str, list[str]] = {
    "rent help": ["rental assistance", "rent assistance"],
    "rent": ["rental"],
    "behind on rent": ["eviction prevention", "rental assistance"],
    "eviction": ["evict", "tenant"],
    "shelter": ["emergency housing", "homeless"],
    "homeless": ["shelter", "homelessness"],
    "food stamps": ["snap", "food assistance"],
    "snap": ["food stamps"],
    "ebt": ["snap"],
    "wic": ["nutrition", "infant"],
    "groceries": ["food pantry", "food"],
    "food bank": ["food pantry"],
    "pantry": ["food bank"],
    "meals": ["meal", "food"],
    "therapy": ["counseling", "mental health", "therapist"],
    "counseling": ["therapy", "counselor"],
    "counselling": ["counseling"],
    "depression": ["mental health"],
    "anxiety": ["mental health"],
    "suicide": ["crisis"],
    "bus pass": ["transit", "bus fare", "transportation"],
    "bus": ["transit"],
    "ride": ["transportation"],
    "rides": ["transportation"],
    "electric bill": ["utility assistance", "electric", "energy assistance"],
    "electricity": ["electric", "utility"],
    "gas bill": ["utility assistance", "heating"],
    "heat": ["heating", "utility"],
    "water bill": ["utility assistance", "water"],
    "shut off": ["shutoff", "utility"],
    "shutoff": ["shut off", "utility"],
    "lawyer": ["legal aid", "attorney"],
    "attorney": ["lawyer", "legal"],
    "job": ["employment", "work"],
    "jobs": ["employment"],
    "daycare": ["child care", "childcare"],
    "day care": ["child care", "childcare"],
    "childcare": ["child care"],
    "doctor": ["clinic", "medical"],
    "dentist": ["dental"],
    "teeth": ["dental"],
    "ged": ["high school equivalency", "adult education"],
    "english classes": ["esl"],
    "esl": ["english"],
    "abuse": ["domestic violence"],
    "domestic violence": ["abuse", "safety"],
    "taxes": ["tax preparation"],
    "cash": ["financial assistance"],
    "money": ["financial"],
    "seniors": ["older adults", "senior"],
    "elderly": ["senior", "older adults"],
    "veterans": ["veteran"],
}
_MAX_PHRASE = max(len(k.split()) for k in SYNONYMS)


def words(text: str | None) -> list[str]:
    """Cut user text into at most MAX_WORDS lowercase words; drop everything else."""
    if not text:
        return []
    text = unicodedata.normalize("NFKC", text[:2000])
    found = (w.casefold()[:MAX_WORD_LEN] for w in _WORD_RE.findall(text))
    return [w for w in found if w][:MAX_WORDS]


def analyse(word: str) -> list[str]:
    """The indexed form(s) of one word; [] for stop words."""
    return [token.text for token in ANALYZER(word)]


def groups(ws: list[str]) -> list[list[list[str]]]:
    """Group words: each group is a list of alternatives, each a list of words.

    The longest phrase with synonyms wins: ["rent", "help"] becomes one group with the
    alternatives ["rent", "help"], ["rental", "assistance"], ["rent", "assistance"].
    """
    out: list[list[list[str]]] = []
    i = 0
    while i < len(ws):
        for size in range(min(_MAX_PHRASE, len(ws) - i), 0, -1):
            phrase = " ".join(ws[i : i + size])
            if phrase in SYNONYMS or size == 1:
                alternatives = [ws[i : i + size]]
                alternatives += [alt.split() for alt in SYNONYMS.get(phrase, [])]
                out.append(alternatives)
                i += size
                break
    return out


def _alternative_query(alt: list[str], field: str) -> query.Query | None:
    terms = [query.Term(field, t) for w in alt for t in analyse(w)]
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else query.And(terms)


def build(ws: list[str], require_all: bool, field: str = "content") -> query.Query | None:
    """The query for the words, or None when nothing searchable is left."""
    parts = []
    for alternatives in groups(ws):
        subs = [q for q in (_alternative_query(a, field) for a in alternatives) if q]
        if subs:
            # The typed words score a little above their synonyms, and a group scores its
            # best alternative (not their sum): matching two synonyms must not outrank
            # matching what was typed.
            subs[0] = subs[0].with_boost(1.5) if len(subs) > 1 else subs[0]
            parts.append(subs[0] if len(subs) == 1 else query.DisjunctionMax(subs))
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return query.And(parts) if require_all else query.Or(parts)


def terms_of(ws: list[str]) -> frozenset[str]:
    """Every analysed term the query may match, for highlighting snippets."""
    return frozenset(
        t for alternatives in groups(ws) for alt in alternatives for w in alt for t in analyse(w)
    )


def correct(ws: list[str], known, suggest) -> list[str] | None:
    """Replace words that match nothing by their nearest known word.

    `known(term)` tells whether an analysed term is in the index; `suggest(word)` returns
    the nearest indexed word or None. Returns the corrected words, or None if none changed.
    """
    fixed, changed = [], False
    for w in ws:
        terms = analyse(w)
        if len(w) >= 3 and terms and not any(known(t) for t in terms) and not w.isdigit():
            better = suggest(w)
            if better and better != w:
                fixed.append(better)
                changed = True
                continue
        fixed.append(w)
    return fixed if changed else None
