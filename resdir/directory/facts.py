"""ProgramFacts: what indexing, matching and presentation read about a program.

One frozen shape, loaded by :mod:`resdir.directory.facts_query` with plain column queries
(no ORM objects: building them took most of a rebuild and of a match). Every column of the
tables it draws from is either a field here or named in LEFT_OUT with the reason, so a new
column is a decision, not something that silently never reaches the index or matching
(tests/test_program_facts.py fails until it is made).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time


@dataclass(frozen=True, slots=True)
class PlaceFacts:
    """A location the program is offered at."""

    latitude: float | None
    longitude: float | None
    timezone: str | None
    confidential: bool
    # Of the location's address (its first physical one, else its first): a confidential
    # place is searched from its ZIP's centre.
    postal_code: str | None
    # That address on one line, as search results show it (None: the place has none).
    address: str | None


@dataclass(frozen=True, slots=True)
class ScheduleFacts:
    """A weekly opening span, or a dated closure (see models.Schedule)."""

    byday: str | None
    opens_at: time | None
    closes_at: time | None
    closed: bool
    valid_from: date | None
    valid_to: date | None


@dataclass(frozen=True, slots=True)
class CategoryFacts:
    code: str | None  # the slug
    name: str


@dataclass(frozen=True, slots=True)
class RulesFacts:
    """The program's structured eligibility (models.Eligibility)."""

    income_limit_fpl: int | None
    household_size_min: int | None
    household_size_max: int | None
    veteran_required: bool
    insurance: str | None
    gender: str | None
    pregnancy_required: bool
    disability_required: bool
    languages: str | None
    residency_required: bool


@dataclass(frozen=True, slots=True)
class AreaFacts:
    """A service area (models.ServiceArea), as the residency rule reads it."""

    kind: str
    name: str | None
    extent: str | None
    radius_mi: float | None
    center_latitude: float | None
    center_longitude: float | None


@dataclass(frozen=True, slots=True)
class ProgramFacts:
    id: str
    name: str
    organization_id: str | None
    organization_name: str | None  # None only if the organization row is missing
    alternate_name: str | None
    description: str | None
    eligibility_description: str | None
    status: str
    capacity_status: str | None
    capacity_available: int | None  # places open now (shown on cards)
    capacity_maximum: int | None
    minimum_age: int | None
    maximum_age: int | None
    assured_date: date | None
    phone: str | None  # the first phone's number (in the database's order), as results show
    locations: tuple[PlaceFacts, ...]
    schedules: tuple[ScheduleFacts, ...]  # in the program's order (Schedule.position)
    languages: tuple[str, ...]  # ISO 639-1 codes, in order
    categories: tuple[CategoryFacts, ...]  # resdir's categories
    source_terms: tuple[str, ...]  # names of the source's taxonomy terms (AIRS, ...)
    eligibility: RulesFacts | None  # None: no structured rules
    service_areas: tuple[AreaFacts, ...]

    @property
    def timezone(self) -> str | None:
        """The zone of the first location that has one."""
        return next((p.timezone for p in self.locations if p.timezone), None)


# Columns deliberately not in ProgramFacts, by table, with the reason. Anything added to
# these tables must land in a facts class above or here (tests/test_program_facts.py).
SHOWN_ONLY = "shown on the program's page and exports, read there through the ORM"
BOOKKEEPING = "bookkeeping: never searched, matched or shown as a fact"
LEFT_OUT: dict[str, dict[str, str]] = {
    "service": {
        "url": SHOWN_ONLY, "email": SHOWN_ONLY, "interpretation_services": SHOWN_ONLY,
        "application_process": SHOWN_ONLY, "fees_description": SHOWN_ONLY,
        "capacity_updated": SHOWN_ONLY, "assurer_email": BOOKKEEPING,
        "last_modified": BOOKKEEPING, "source_key": BOOKKEEPING, "version": BOOKKEEPING,
    },
    "location": {
        "id": BOOKKEEPING, "organization_id": BOOKKEEPING, "source_key": BOOKKEEPING,
        "location_type": SHOWN_ONLY, "name": SHOWN_ONLY, "description": SHOWN_ONLY,
    },
    "schedule": {
        "id": BOOKKEEPING, "service_id": BOOKKEEPING,
        "position": "gives the order of ProgramFacts.schedules",
        "location_id": "hours are the program's wherever it is offered",
        "freq": "WEEKLY or empty (imports skip other frequencies)",
        "description": SHOWN_ONLY,
    },
    "eligibility": {"service_id": BOOKKEEPING},
    "service_area": {
        "id": BOOKKEEPING, "service_id": BOOKKEEPING, "description": SHOWN_ONLY,
        "extent_type": "kind says how to read extent",
    },
}
