"""What the checked dataset says to write: organizations, locations and programs with their
details, keyed by their ids in the source. Built without touching the database."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from resdir.directory import models as m
from resdir.interop.hsds_import.tables import Rec


def limit(model, column: str) -> int | None:
    """The length of a String column of a resdir model (None for Text)."""
    return getattr(model.__table__.c[column].type, "length", None)


@dataclass
class OrgPlan:
    rec: Rec
    values: dict


@dataclass
class PlacePlan:
    """What locations and programs both hold: phones, hours and languages (a location's
    also describe the programs held there, see children._inherit)."""

    rec: Rec
    org_id: str | None
    values: dict
    phones: list[dict] = field(default_factory=list)
    schedules: list[dict] = field(default_factory=list)
    languages: list[dict] = field(default_factory=list)


@dataclass
class LocPlan(PlacePlan):
    addresses: list[dict] = field(default_factory=list)


@dataclass
class SvcPlan(PlacePlan):
    location_ids: list[str] = field(default_factory=list)
    areas: list[dict] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    costs: list[dict] = field(default_factory=list)
    term_ids: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    category_types: dict[str, str | None] = field(default_factory=dict)  # as the file had it
    category_source: str | None = None  # "taxonomy", "text", "review" (see categorize)
    eligibility: dict = field(default_factory=dict)


@dataclass
class TaxPlan:
    key: str
    values: dict


@dataclass
class TermPlan:
    rec: Rec
    taxonomy: str  # TaxPlan key
    values: dict
    parent_id: str | None = None


@dataclass
class Plan:
    source: str
    orgs: dict[str, OrgPlan] = field(default_factory=dict)
    locations: dict[str, LocPlan] = field(default_factory=dict)
    services: dict[str, SvcPlan] = field(default_factory=dict)
    taxonomies: dict[str, TaxPlan] = field(default_factory=dict)
    terms: dict[str, TermPlan] = field(default_factory=dict)
    org_phones: dict[str, list[dict]] = field(default_factory=dict)
    links: dict[str, tuple[str, str]] = field(default_factory=dict)  # service_at_location
    extensions: dict = field(default_factory=dict)  # see extensions.collect
    category_terms: dict[str, str] = field(default_factory=dict)  # term id -> our category
    crosswalk: object = None  # resdir.categorize.crosswalk.Crosswalk of this import
    coded: dict[str, list[str]] = field(default_factory=dict)  # service -> bare term codes
    suggestions: dict = field(default_factory=dict)  # service -> uncertain text Suggestion
    contacts: dict = field(default_factory=dict)  # id -> contacts.ContactPlan

    def key(self, table: str, source_id: str) -> str:
        """The source_key of a record: hsds:<source>:<table>:<id>."""
        key = f"hsds:{self.source}:{table}:{source_id}"
        if len(key) > 200:

            key = key[:150] + ":" + hashlib.sha1(key.encode()).hexdigest()
        return key


ORG_LIMITS = {c: limit(m.Organization, c) for c in ("name", "alternate_name", "email", "website")}
LOC_LIMITS = {c: limit(m.Location, c) for c in ("name", "location_type")}
SVC_LIMITS = {c: limit(m.Service, c) for c in ("name", "alternate_name", "url", "email",
                                               "assurer_email")}
ADDR_LIMITS = {c: limit(m.Address, c) for c in ("attention", "address_1", "address_2", "city",
                                                "region", "state_province", "postal_code")}
