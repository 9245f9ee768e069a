"""Snippets of a program's description around the query's words."""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from whoosh.highlight import Formatter, WholeFragmenter, highlight

from resdir.search.schema import ANALYZER, WORD_ANALYZER

# Whoosh's RegexTokenizer pattern (as a non-capturing group, for findall).
TOKEN_RE = re.compile(r"[\w\*]+(?:\.?[\w\*]+)*")

log = logging.getLogger(__name__)

class _MarkFormatter(Formatter):
    """Wrap matched words in \x02...\x03 so the page can mark them after escaping."""

    between = " ... "

    def format_token(self, text, token, replace=False):
        return "\x02" + self._text(text[token.startchar : token.endchar]) + "\x03"


def snippet(text: str, terms: frozenset[str], limit: int = 200, marked: bool = True) -> str:
    """Whole sentences of `text` (those with the query's words first), matches in \x02/\x03
    (marked=False: without marks, as the API shows it).

    Sentences are kept whole so a snippet never stops mid-thought; only a single sentence
    longer than `limit` is cut, at a word, with "...".
    """
    text = " ".join((text or "").replace("\x02", "").replace("\x03", "").split())
    sentences = SENTENCE_END.split(text) if text else []
    hits = [s for s in sentences if terms and _mentions(s, terms)]
    chosen = _fit(hits or sentences, limit)
    if not terms or not hits or not marked:
        return chosen
    return highlight(chosen, terms, ANALYZER, WholeFragmenter(charlimit=None),
                     _MarkFormatter()) or chosen


SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


@lru_cache(maxsize=65536)
def _term(token: str) -> str | None:
    """The term of one lowercased token (None for a stop word or a short one). The word
    analyzer works token by token, so each distinct word is analysed once per process,
    not once in every hit's description (issue 12)."""
    for analysed in WORD_ANALYZER(token):
        return analysed.text
    return None


def _mentions(sentence: str, terms: frozenset[str]) -> bool:
    """Whether ANALYZER(sentence) yields one of `terms`: its word terms, or a phrase term
    (PhraseFilter: the words' terms following each other, joined by "_")."""
    found = [t for t in map(_term, TOKEN_RE.findall(sentence.lower())) if t]
    if not terms.isdisjoint(found):
        return True
    for term in terms:
        if "_" in term:
            parts = term.split("_")
            size = len(parts)
            if any(found[i : i + size] == parts for i in range(len(found) - size + 1)):
                return True
    return False


def _fit(sentences: list[str], limit: int) -> str:
    """As many whole sentences as fit in `limit` characters (at least part of the first)."""
    if not sentences:
        return ""
    if len(sentences[0]) > limit:
        return sentences[0][:limit].rsplit(" ", 1)[0] + " ..."
    kept, size = [], 0
    for sentence in sentences:
        if size + len(sentence) + len(kept) > limit:
            break
        kept.append(sentence)
        size += len(sentence)
    return " ".join(kept)
