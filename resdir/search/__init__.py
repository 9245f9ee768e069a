"""Full-text and filtered search over the directory (the only importer of whoosh)."""

from resdir.search.engine import SearchIndex
from resdir.search.snippets import snippet
from resdir.search.types import Document, Hit, SearchRequest, SearchResult

__all__ = [
    "Document", "Hit", "SearchIndex", "SearchRequest", "SearchResult", "snippet",
]
