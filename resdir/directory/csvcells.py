"""The seed directory CSV's columns and the rules for their cells (the README's format): a
file's rows (csvimport.read), a form's row (check_row) and a PATCH's changed cells
(check_cells) are checked the same way."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import date

from resdir.directory import hours
from resdir.directory import models as m
from resdir.directory.models import (
    CAPACITY_STATUSES,
    INSURANCE_TYPES,
    SERVICE_STATUSES,
)
from resdir.geo import UnknownZip, lookup_zip, normalize_zip
from resdir.values import column_length, flaw, http_url_problem

COLUMNS = [
    "organization_key", "organization_name", "organization_description", "organization_url",
    "organization_email", "program_key", "program_name", "program_description", "categories",
    "status", "location_key", "location_name", "address_1", "city", "state", "postal_code",
    "latitude", "longitude", "confidential", "phone", "program_email", "program_url", "hours",
    "holiday_closures", "languages", "min_age", "max_age", "income_limit_fpl",
    "household_size_min", "household_size_max", "veteran", "insurance", "gender", "pregnant",
    "disability", "eligible_languages", "service_area_zips", "service_area_counties",
    "service_area_radius_mi", "service_area_geojson", "eligibility_description",
    "application_process", "required_documents", "fees", "capacity_status",
    "capacity_available", "capacity_maximum", "assured_date",
]
REQUIRED = [
    "organization_key", "organization_name", "program_key", "program_name", "categories",
    "status", "location_key", "address_1", "city", "state", "postal_code",
]


KEY_LENGTH = column_length(m.Service.source_key) - len("csv:")  # keys are stored as csv:KEY
# Cells stored whole in one text column: at most as long as that column.
LIMITS = {
    "organization_key": KEY_LENGTH, "program_key": KEY_LENGTH, "location_key": KEY_LENGTH,
    **{cell: column_length(attribute) for cell, attribute in (
        ("organization_name", m.Organization.name), ("organization_url", m.Organization.website),
        ("organization_email", m.Organization.email), ("program_name", m.Service.name),
        ("program_email", m.Service.email), ("program_url", m.Service.url),
        ("location_name", m.Location.name), ("address_1", m.Address.address_1),
        ("city", m.Address.city), ("state", m.Address.state_province),
        ("phone", m.Phone.number), ("insurance", m.Eligibility.insurance),
        ("eligible_languages", m.Eligibility.languages))},
}
URL_CELLS = ("organization_url", "program_url")


@dataclass
class Problem:
    file: str
    row: int  # line number in the file (the header is line 1)
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}, row {self.row}, column {self.column}: {self.reason}"


class CsvImportError(Exception):
    """The file was not imported; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}")


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.split(";") if p.strip()]


class Checker:
    """Checks one row's cells at a time (`line` says which), collecting every problem."""

    def __init__(self, name: str, categories: set[str]):
        self.name = name
        self.categories = categories
        self.problems: list[Problem] = []
        self.line = 0

    def bad(self, column: str, reason: str) -> None:
        self.problems.append(Problem(self.name, self.line, column, reason))

    def integer(self, raw: dict, column: str, low: int, high: int) -> int | None:
        return self._bounded(raw, column, low, high, int, "a whole number")

    def number(self, raw: dict, column: str, low: float, high: float) -> float | None:
        return self._bounded(raw, column, low, high, float, "a number")

    def _bounded(self, raw: dict, column: str, low, high, kind, what: str):
        text = raw[column]
        if not text:
            return None
        try:
            value = kind(text)
        except ValueError:
            self.bad(column, f"{text!r} is not {what}")
            return None
        if not low <= value <= high:
            self.bad(column, f"{value} is outside {low}..{high}")
            return None
        return value

    def flag(self, raw: dict, column: str, word: str) -> bool:
        text = raw[column].lower()
        if text in ("", "no"):
            return False
        if text in (word, "yes"):
            return True
        self.bad(column, f"{raw[column]!r} must be '{word}' or blank")
        return False

    def choice(self, raw: dict, column: str, allowed) -> str | None:
        text = raw[column].strip().lower()
        if not text:
            return None
        if text not in allowed:
            self.bad(column, f"{raw[column]!r} is not one of: {', '.join(allowed)}")
            return None
        return text

    def day(self, text: str, column: str) -> date | None:
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.bad(column, f"{text!r} is not a date like 2026-11-24")
            return None

    def row(self, raw: dict) -> dict:
        """The row's values; every problem is noted (`bad`) with its column, in column order.

        The row starts as each cell's stripped text; each step replaces the text of its
        cells with their values (reading the text before it writes)."""
        v: dict[str, object] = {k: (raw.get(k) or "").strip() for k in COLUMNS}
        for column in REQUIRED:
            if not v[column]:
                self.bad(column, "is required")
        self._storable(v)
        self._listing(v)
        self._place(v)
        self._hours(v)
        self._eligibility(v)
        self._service_area(v)
        self._capacity(v)
        return v

    def _listing(self, v: dict) -> None:
        cats = _split(v["categories"])
        for c in cats:
            if c not in self.categories:
                self.bad("categories", f"unknown category {c!r}")
        v["categories"] = cats
        v["status"] = self.choice(v, "status", SERVICE_STATUSES) or "active"

    def _place(self, v: dict) -> None:
        """ZIP, the point (the ZIP's centre when not given) and its time zone."""
        zip_code = normalize_zip(v["postal_code"])
        if v["postal_code"] and zip_code is None:
            self.bad("postal_code", f"{v['postal_code']!r} is not a ZIP code")
        v["postal_code"] = zip_code
        v["latitude"] = self.number(v, "latitude", -90, 90)
        v["longitude"] = self.number(v, "longitude", -180, 180)
        if (v["latitude"] is None) != (v["longitude"] is None):
            self.bad("longitude", "latitude and longitude go together")
        if v["latitude"] is None and zip_code:
            try:
                place = lookup_zip(zip_code)
                v["latitude"], v["longitude"] = place.latitude, place.longitude
            except UnknownZip as exc:
                self.bad("postal_code", f"{exc}; give latitude and longitude")
        v["timezone"] = None
        if zip_code:
            with contextlib.suppress(UnknownZip):
                v["timezone"] = lookup_zip(zip_code).timezone
        v["confidential"] = self.flag(v, "confidential", "yes")

    def _hours(self, v: dict) -> None:
        try:
            v["hours"] = hours.parse(v["hours"])
        except hours.HoursError as exc:
            self.bad("hours", str(exc))
            v["hours"] = []
        v["holiday_closures"] = [
            d for d in (self.day(t, "holiday_closures") for t in _split(v["holiday_closures"]))
            if d
        ]

    def _eligibility(self, v: dict) -> None:
        """The languages spoken, and who the program is for."""
        v["languages"] = self._codes(v, "languages")
        v["eligible_languages"] = self._codes(v, "eligible_languages")
        v["min_age"] = self.integer(v, "min_age", 0, 120)
        v["max_age"] = self.integer(v, "max_age", 0, 120)
        if v["min_age"] is not None and v["max_age"] is not None and v["min_age"] > v["max_age"]:
            self.bad("max_age", "is below min_age")
        v["income_limit_fpl"] = self.integer(v, "income_limit_fpl", 1, 1000)
        v["household_size_min"] = self.integer(v, "household_size_min", 1, 30)
        v["household_size_max"] = self.integer(v, "household_size_max", 1, 30)
        for column in ("veteran", "pregnant", "disability"):
            v[column] = self.flag(v, column, "required")
        insurance = [i.lower() for i in _split(v["insurance"])]
        for i in insurance:
            if i not in INSURANCE_TYPES:
                self.bad("insurance", f"{i!r} is not one of: {', '.join(INSURANCE_TYPES)}")
        v["insurance"] = insurance
        v["gender"] = self.choice(v, "gender", ("female", "male"))

    def _service_area(self, v: dict) -> None:
        v["service_area_zips"] = self._zips(v)
        v["service_area_counties"] = _split(v["service_area_counties"])
        v["service_area_radius_mi"] = self.number(v, "service_area_radius_mi", 0.1, 500)
        v["service_area_geojson"] = self._polygon(v)
        v["required_documents"] = _split(v["required_documents"])

    def _capacity(self, v: dict) -> None:
        """Capacity and the date the listing was last checked."""
        v["capacity_status"] = self.choice(v, "capacity_status", CAPACITY_STATUSES)
        v["capacity_available"] = self.integer(v, "capacity_available", 0, 100000)
        v["capacity_maximum"] = self.integer(v, "capacity_maximum", 0, 100000)
        v["assured_date"] = (self.day(v["assured_date"], "assured_date")
                             if v["assured_date"] else None)

    def _storable(self, raw: dict) -> None:
        """Text the database can hold: no NUL, no overlong cell, web addresses only http(s)."""
        for column, text in raw.items():
            if reason := flaw(text):
                self.bad(column, reason)
        for column, limit in LIMITS.items():
            if len(raw[column]) > limit:
                self.bad(column, f"is too long: {len(raw[column])} characters, at most {limit}")
        for column in URL_CELLS:
            if raw[column] and (reason := http_url_problem(raw[column])):
                self.bad(column, reason)

    def _codes(self, raw: dict, column: str) -> list[str]:
        codes = [c.lower() for c in _split(raw[column])]
        for c in codes:
            if len(c) != 2 or not c.isalpha():
                self.bad(column, f"{c!r} is not a two-letter ISO 639-1 language code")
        return codes

    def _zips(self, raw: dict) -> list[str]:
        out = []
        for text in _split(raw["service_area_zips"]):
            code = normalize_zip(text)
            if code is None:
                self.bad("service_area_zips", f"{text!r} is not a ZIP code")
            else:
                out.append(code)
        return out

    def _polygon(self, raw: dict) -> str | None:
        text = raw["service_area_geojson"]
        if not text:
            return None
        from shapely.geometry import shape  # noqa: PLC0415  (start-up time)

        try:
            geometry = shape(json.loads(text))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            self.bad("service_area_geojson", f"not a GeoJSON geometry ({exc})")
            return None
        if geometry.geom_type not in ("Polygon", "MultiPolygon") or not geometry.is_valid:
            self.bad("service_area_geojson", "must be a valid Polygon or MultiPolygon")
            return None
        return text


def check_row(raw: dict, categories: set[str], name: str = "form") -> dict:
    """Check one row given as text cells (a form uses this too); raise CsvImportError."""
    checker = Checker(name, categories)
    checker.line = 1
    values = checker.row(raw)
    if checker.problems:
        raise CsvImportError(checker.problems)
    return values


def check_cells(cells: dict[str, str], categories: set[str], name: str = "form") -> dict:
    """Check only the given cells (the fields a form or PATCH changed) with the same rules
    as a file row, and return their values; other columns are neither checked nor returned,
    so a listing's unchanged (perhaps imported, perhaps not CSV-shaped) data is never touched.
    Checks that span columns (min_age <= max_age) are the caller's, who knows the others."""
    checker = Checker(name, categories)
    checker.line = 1
    values = checker.row(cells)
    problems = [p for p in checker.problems if p.column in cells]
    if problems:
        raise CsvImportError(problems)
    return {k: values[k] for k in cells if k in values}
