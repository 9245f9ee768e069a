"""Snippets of a program's description around the query's words."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from whoosh.highlight import ContextFragmenter, Formatter, highlight

from resdir.search.schema import (
    ANALYZER,
)

log = logging.getLogger(__name__)

class _MarkFormatter(Formatter):
    """Wrap matched words in \x02...\x03 so the page can mark them after escaping."""

    between = " ... "

    def format_token(self, text, token, replace=False):
        return "\x02" + self._text(text[token.startchar : token.endchar]) + "\x03"


def snippet(text: str, terms: frozenset[str], limit: int = 200) -> str:
    """A short piece of `text` around the query's words, matches wrapped in \\x02/\\x03."""
    text = (text or "").replace("\x02", "").replace("\x03", "")
    if terms:
        found = highlight(
            text, terms, ANALYZER, ContextFragmenter(maxchars=limit, surround=60),
            _MarkFormatter(), top=2,
        )
        if found:
            return found
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " ..."


def local_time_in(moment: datetime):
    """An `open_at` callable for a fixed instant (aware datetime)."""
    return lambda tz: moment.astimezone(ZoneInfo(tz))
