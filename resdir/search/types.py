"""Plain values that cross the boundary of the search package."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass
class Document:
    """What the index knows about one program (no client data, ever)."""

    id: str
    stamp: str  # changes whenever the program changes; used to detect drift
    name: str
    organization: str = ""
    text: str = ""  # description and other words people search for
    categories: list[str] = field(default_factory=list)  # slugs
    category_names: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)  # the source's taxonomy term names
    languages: list[str] = field(default_factory=list)  # ISO 639-1
    status: str = "active"
    capacity: str | None = None
    minimum_age: int | None = None
    maximum_age: int | None = None
    points: list[tuple[float, float]] = field(default_factory=list)  # (lat, lon)
    timezone: str = "America/New_York"
    # Weekly opening as [start, end) minutes of the week (0 = Monday 00:00, local time).
    # None means hours unknown (never "open"); [] means never open.
    open_minutes: list[tuple[int, int]] | None = None
    closures: list[tuple[str, str]] = field(default_factory=list)  # ISO dates, inclusive
    verified: str | None = None  # ISO date the listing was last confirmed current
    # The program as a search result shows it (JSON, made by the caller; stored in the
    # index and handed back on each hit, so a page of results reads no database rows).
    shown: str = ""


@dataclass
class SearchRequest:
    text: str = ""
    categories: list[str] = field(default_factory=list)
    point: tuple[float, float] | None = None
    radius_mi: float | None = None
    languages: list[str] = field(default_factory=list)
    # Returns the local time to test in the given IANA time zone ("open now" or a chosen
    # weekday and time); None means no opening-hours filter.
    open_at: Callable[[str], datetime] | None = None
    age: int | None = None
    statuses: list[str] = field(default_factory=lambda: ["active"])  # [] = any status
    capacities: list[str] = field(default_factory=list)
    sort: str = "relevance"  # or "distance"
    # Listings verified before this day rank a little lower (None: no such demotion).
    fresh_since: date | None = None
    page: int = 1
    per_page: int = 20
    facets: bool = True  # count the category facets (matching shows none)
    shown: bool = False  # hand back each hit's Document.shown (Hit.shown)


@dataclass
class Hit:
    id: str
    score: float
    distance_mi: float | None
    # The Document's `shown` JSON as stored (UTF-8; b"" when written without one), when the
    # request asked for it.
    shown: bytes | None = None


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, int]
    suggestion: str | None = None  # a corrected query ("did you mean")
    corrected: bool = False  # True when the hits are for the suggestion
    matched: str = "all"  # "all" words, or "any" when no program had all of them
    terms: frozenset[str] = frozenset()  # analysed words, for snippets
