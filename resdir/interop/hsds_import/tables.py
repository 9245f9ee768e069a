"""The form every reader produces: HSDS 3.0 tables of raw records with their place of origin.

Readers of the older forms (HSDS 1.x, Ohana) translate their tables into these names and
fields, so the checking and writing code knows only HSDS 3.0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# HSDS 3.0 tables that resdir stores.
STORED = (
    "organization", "location", "address", "service", "service_at_location", "phone",
    "schedule", "service_area", "language", "required_document", "cost_option", "taxonomy",
    "taxonomy_term", "attribute",
)
# HSDS tables resdir has no place for; they are read, counted and reported, not stored.
NOT_STORED = (
    "program", "funding", "accessibility", "metadata", "meta_table_description",
    "organization_identifier", "payment_accepted", "unit",
)

# CSV file stem -> table: these tables go by their name or its plural with an "s"...
FILE_TABLES = {stem: table for table in (
    "organization", "service", "location", "phone", "schedule", "service_area", "language",
    "required_document", "cost_option", "taxonomy_term", "attribute", "contact", "program",
    "unit") for stem in (table, table + "s")}
# ...and these by the spellings listed (no bare "taxonomy": HSDS 1.x's taxonomy.csv holds
# terms, see legacy.py).
FILE_TABLES |= {
    "addresses": "address", "address": "address", "taxonomies": "taxonomy",
    "service_capacities": "service_capacity", "service_capacity": "service_capacity",
    **dict.fromkeys(("service_at_location", "services_at_location", "services_at_locations",
                     "service_at_locations"), "service_at_location"),
    "funding": "funding", "accessibility": "accessibility", "metadata": "metadata",
    "meta_table_descriptions": "meta_table_description",
    "organization_identifiers": "organization_identifier",
}


SHORT = 24  # texts up to this long are shared between records (Dataset.compact)


@dataclass(slots=True)  # a big file has hundreds of thousands: no __dict__ each
class Rec:
    """One record of a table, as read: field -> value (text, number, list, None)."""

    table: str
    file: str
    row: int | str
    data: dict
    nested: bool = False  # came from inside another JSON object (repeats are expected)
    renamed: dict = field(default_factory=dict)  # our field name -> the file's column name
    used: set = field(default_factory=set, repr=False)  # fields read (shared by the table)

    def column(self, name: str) -> str:
        """The name the file gives a field (for reports)."""
        return self.renamed.get(name, name)

    def get(self, name: str) -> str:
        """The field as stripped text ('' when missing)."""
        self.used.add(name)
        value = self.data.get(name)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip()


@dataclass
class Dataset:
    form: str
    source: str
    tables: dict[str, list[Rec]] = field(default_factory=dict)
    used: dict[str, set] = field(default_factory=dict)  # table -> fields some step read
    # One copy of each short text (codes, states, times, repeated ids): a streaming JSON
    # parser gives every record its own copy of each key and value.
    strings: dict[str, str] = field(default_factory=dict, repr=False)
    # table -> (files, fields given a value), kept by release()
    given: dict[str, tuple[list[str], set[str]]] | None = None

    def compact(self, data: dict) -> dict:
        """The record's fields with shared keys and short values."""
        share = self.strings.setdefault
        return {share(k, k): share(v, v) if isinstance(v, str) and len(v) <= SHORT else v
                for k, v in data.items()}

    def add(self, rec: Rec) -> Rec:
        self.tables.setdefault(rec.table, []).append(rec)
        rec.used = self.used.setdefault(rec.table, set())
        return rec

    def not_kept(self) -> dict[str, tuple[list[str], list[str]]]:
        """table -> (its files, the fields holding a value in some record that no step of
        the import read): what the report lists as not kept."""
        out = {}
        for table, (files, given) in (self.given or self._given()).items():
            fields = sorted(given - self.used.get(table, set()))
            if fields:
                out[table] = (files, fields)
        return out

    def release(self) -> None:
        """Let go of the records once the plan is made (it keeps those it needs): the
        writing step then runs without every phone, hours and address record of the file
        still in memory. What not_kept needs of them is kept."""
        self.given = self._given()
        self.tables, self.strings = {}, {}

    def _given(self) -> dict[str, tuple[list[str], set[str]]]:
        out = {}
        for table, recs in self.tables.items():
            if table in NOT_STORED:
                continue  # reported as a whole table
            given = {name for rec in recs for name, value in rec.data.items()
                     if value not in (None, "", [], {}) and not name.startswith("_")
                     and not isinstance(value, dict | list)}
            out[table] = (sorted({rec.file for rec in recs}), given)
        return out

    def rows(self, table: str) -> list[Rec]:
        return self.tables.get(table, [])


def slug(text: str, limit: int = 60) -> str:
    """A source name: lower case letters, digits, dots, dashes and underscores."""
    out = re.sub(r"[^a-z0-9._-]+", "-", text.strip().lower()).strip("-.")
    return out[:limit] or "source"
