"""Snippets of a program's description around the query's words."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import lru_cache
from itertools import chain

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
    sentences = _sentences(text or "")
    if not terms or (len(sentences) == 1 and not marked):
        # No sentence can mention a word, or the one sentence is the snippet either way:
        # no need to analyse it (issue 12: analysing each hit's description was most of
        # a page of results' cost).
        return _fit(sentences, limit)
    found, chosen = _chosen(sentences, terms, limit)
    if not found or not marked:
        return chosen
    return highlight(chosen, terms, ANALYZER, WholeFragmenter(charlimit=None),
                     _MarkFormatter()) or chosen


def _chosen(sentences: tuple[str, ...], terms: frozenset[str], limit: int) -> tuple[bool, str]:
    """(whether a sentence mentions the terms, the snippet): _fit of the sentences that
    mention them, or of all when none does. Sentences are analysed in order only until the
    snippet is settled."""
    mentioning = (s for s in sentences if _mentions(_sentence_terms(s), terms))
    first = next(mentioning, None)
    if first is None:
        return False, _fit(sentences, limit)
    return True, _fit(chain((first,), mentioning), limit)


SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
MAYBE_END = re.compile(r"[.!?]\s")  # where SENTENCE_END can match, and more


@lru_cache(maxsize=65536)
def _term(token: str) -> str | None:
    """The term of one lowercased token (None for a stop word or a short one). The word
    analyzer works token by token, so each distinct word is analysed once per process,
    not once in every hit's description (issue 12)."""
    for analysed in WORD_ANALYZER(token):
        return analysed.text
    return None


@lru_cache(maxsize=1024)  # about 1 MB at most
def _sentences(text: str) -> tuple[str, ...]:
    """A description's sentences, kept for the descriptions seen last."""
    text = " ".join(text.replace("\x02", "").replace("\x03", "").split())
    if not text:
        return ()
    if not MAYBE_END.search(text):  # one sentence: no split (SENTENCE_END is slow to scan)
        return (text,)
    return tuple(SENTENCE_END.split(text))


@lru_cache(maxsize=4096)  # about 2.5 MB at most
def _sentence_terms(sentence: str) -> tuple[str, ...]:
    """A sentence's word terms, kept for the sentences seen last: the same programs come
    back in many searches (issue 12)."""
    return tuple(t for t in map(_term, TOKEN_RE.findall(sentence.lower())) if t)


def _mentions(found: tuple[str, ...], terms: frozenset[str]) -> bool:
    """Whether a sentence whose word terms are `found` yields one of `terms` through
    ANALYZER: a word term, or a phrase term (PhraseFilter: the words' terms following each
    other, joined by "_")."""
    if not terms.isdisjoint(found):
        return True
    for term in terms:
        if "_" in term:
            parts = tuple(term.split("_"))
            size = len(parts)
            if any(found[i : i + size] == parts for i in range(len(found) - size + 1)):
                return True
    return False


def _fit(sentences: Iterable[str], limit: int) -> str:
    """As many whole sentences as fit in `limit` characters (at least part of the first),
    taken from `sentences` only as far as needed (_chosen analyses each as it is taken)."""
    kept: list[str] = []
    size = 0
    for sentence in sentences:
        if not kept and len(sentence) > limit:
            return sentence[:limit].rsplit(" ", 1)[0] + " ..."
        if kept and size + len(sentence) + len(kept) > limit:
            break
        kept.append(sentence)
        size += len(sentence)
    return " ".join(kept)
