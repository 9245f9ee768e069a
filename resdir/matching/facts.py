"""A client's facts for matching, parsed from the API field names, every one optional."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from babel import Locale

from resdir.errors import BadParameter
from resdir.geo import UnknownZip, lookup_zip, normalize_zip

INSURANCE_TYPES = ("medicaid", "medicare", "private", "uninsured")
GENDERS = ("female", "male", "nonbinary", "other")
MAX_AGE = 120
MAX_HOUSEHOLD = 50
# Every USPS state and territory code, so that a ZIP's own state is always accepted.
US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV "
    "NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY "
    "AS GU MP PR VI FM MH PW AA AE AP".split()
)
FACTS = ("zip", "state", "age", "birth_date", "household_size", "annual_income", "languages",
         "veteran", "insurance", "pregnant", "disability", "gender")
# lat/lon: a geocoded street address, used over the ZIP centroid.
FACT_FIELDS = (*FACTS, "lat", "lon")


@dataclass(frozen=True)
class ClientFacts:
    """What is known about a client; None means not given. `age` is as of `as_of`."""

    as_of: date
    zip: str | None = None
    state: str | None = None
    age: int | None = None
    birth_date: date | None = None
    household_size: int | None = None
    annual_income: int | float | None = None
    languages: tuple[str, ...] | None = None
    veteran: bool | None = None
    insurance: str | None = None
    pregnant: bool | None = None
    disability: bool | None = None
    gender: str | None = None
    point: tuple[float, float] | None = None
    point_source: str | None = None
    county: str | None = None

    def age_on(self, day: date) -> int | None:
        """Age on `day`: from the birth date when known, else the age given."""
        if self.birth_date is not None:
            return years_between(self.birth_date, day)
        return self.age

    def as_dict(self) -> dict[str, Any]:
        """The facts given, under the API names (birth date rather than age when known)."""
        out: dict[str, Any] = {}
        for name in FACTS:
            value = getattr(self, name)
            if value is None or (name == "age" and self.birth_date is not None):
                continue
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            out[name] = value
        if self.point_source == "address" and self.point is not None:
            out["lat"], out["lon"] = self.point
        return out


def years_between(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@lru_cache(maxsize=1)
def language_codes() -> frozenset[str]:
    """ISO 639-1 codes (the two-letter codes CLDR knows)."""
    return frozenset(c for c in Locale("en").languages if len(c) == 2)


def parse_facts(data: dict, today: date) -> ClientFacts:
    """Check client facts sent under the API names; raise BadParameter naming the field."""
    if not isinstance(data, dict):
        raise BadParameter("Client facts must be a JSON object.", "client")
    unknown = sorted(set(data) - set(FACT_FIELDS))
    if unknown:
        raise BadParameter(f"{unknown[0]!r} is not a client fact. Known facts: "
                           f"{', '.join(FACT_FIELDS)}.", unknown[0])
    get = {k: v for k, v in data.items() if v is not None}.get
    facts: dict[str, Any] = {"as_of": today}
    birth_date = _birth_date(get("birth_date"), today)
    facts["birth_date"] = birth_date
    age = _whole(get("age"), "age", 0, MAX_AGE, "years")
    facts["age"] = years_between(birth_date, today) if birth_date else age
    facts["household_size"] = _whole(get("household_size"), "household_size", 1,
                                     MAX_HOUSEHOLD, "people")
    facts["annual_income"] = _income(get("annual_income"))
    facts["languages"] = _languages(get("languages"))
    for name in ("veteran", "pregnant", "disability"):
        facts[name] = _flag(get(name), name)
    facts["insurance"] = _choice(get("insurance"), "insurance", INSURANCE_TYPES)
    facts["gender"] = _choice(get("gender"), "gender", GENDERS)
    facts.update(_place(get("zip"), get("state"), get("lat"), get("lon")))
    return ClientFacts(**facts)


def _birth_date(value: Any, today: date) -> date | None:
    if value is None:
        return None
    try:
        born = value if isinstance(value, date) else date.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadParameter(f"Birth date {value!r} is not a date; give it as YYYY-MM-DD.",
                           "birth_date") from None
    if born > today:
        raise BadParameter("Birth date is in the future; check the date.", "birth_date")
    if years_between(born, today) > MAX_AGE:
        raise BadParameter(f"Birth date makes the client older than {MAX_AGE}; check the date.",
                           "birth_date")
    return born


def _whole(value: Any, field: str, low: int, high: int, unit: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadParameter(f"{field.replace('_', ' ').capitalize()} must be a whole number "
                           f"of {unit} from {low} to {high}, not {value!r}.", field)
    return value


def _income(value: Any) -> int | float | None:
    if value is None:
        return None
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not math.isfinite(value) or value < 0):
        raise BadParameter(f"Annual income must be a number of dollars a year, 0 or more "
                           f"(like 24000), not {value!r}.", "annual_income")
    return value


def _languages(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise BadParameter('Languages must be a list of ISO 639-1 codes, like ["en", "es"].',
                           "languages")
    codes = [c.strip().lower() for c in value]
    for code in codes:
        if code not in language_codes():
            raise BadParameter(f"{code!r} is not an ISO 639-1 language code (two letters, "
                               f"like en or es).", "languages")
    return tuple(dict.fromkeys(codes)) or None


def _flag(value: Any, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise BadParameter(f"{field.capitalize()} must be true or false (or left out when not "
                       f"known), not {value!r}.", field)


def _choice(value: Any, field: str, choices: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    text = value.strip().lower() if isinstance(value, str) else None
    if text not in choices:
        raise BadParameter(f"{field.capitalize()} must be one of {', '.join(choices)}, "
                           f"not {value!r}.", field)
    return text


def _place(zip_text: Any, state: Any, lat: Any, lon: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if zip_text is not None:
        if not isinstance(zip_text, str) or normalize_zip(zip_text) is None:
            raise BadParameter(f'ZIP code must be 5 digits as text, like "15213", not '
                               f'{zip_text!r}.', "zip")
        try:
            place = lookup_zip(zip_text)
        except UnknownZip:
            raise BadParameter(f"ZIP code {normalize_zip(zip_text)} is not a known US ZIP "
                               f"code; check it or leave it out.", "zip") from None
        out.update(zip=place.zip, county=place.county or None, state=place.state,
                   point=(place.latitude, place.longitude), point_source="zip")
    if state is not None:
        code = state.strip().upper() if isinstance(state, str) else None
        if code not in US_STATES:
            raise BadParameter(f"State must be a two-letter US state code, like PA, not "
                               f"{state!r}.", "state")
        if out.get("state") not in (None, code):
            raise BadParameter(f"State {code} does not match ZIP {out['zip']}, which is in "
                               f"{out['state']}.", "state")
        out["state"] = code
    if (lat is None) != (lon is None):
        raise BadParameter("Give both lat and lon of the address, or neither.",
                           "lon" if lon is None else "lat")
    if lat is not None:
        for field, value, limit in (("lat", lat, 90), ("lon", lon, 180)):
            if (isinstance(value, bool) or not isinstance(value, int | float)
                    or not -limit <= value <= limit):
                raise BadParameter(f"{field} must be a number from -{limit} to {limit}.", field)
        out.update(point=(float(lat), float(lon)), point_source="address")
    return out
