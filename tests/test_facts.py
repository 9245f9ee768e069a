from __future__ import annotations

from datetime import date

import pytest

from resdir.errors import BadParameter
from resdir.matching.facts import ClientFacts, parse_facts

TODAY = date(2026, 3, 1)


def test_every_fact_is_optional():
    assert parse_facts({}, TODAY) == ClientFacts(as_of=TODAY)
    assert parse_facts({"age": None, "zip": None, "veteran": None}, TODAY) == ClientFacts(
        as_of=TODAY)


def test_full_facts_are_parsed_and_normalized():
    facts = parse_facts({
        "zip": "15221-1234", "age": 67, "household_size": 3, "annual_income": 24000.5,
        "languages": ["EN", "es", "en"], "veteran": True, "insurance": "Medicaid",
        "pregnant": False, "disability": False, "gender": "female",
    }, TODAY)
    assert facts.zip == "15221" and facts.state == "PA"
    assert facts.county == "Allegheny County"
    assert facts.point == (40.4346, -79.8655) and facts.point_source == "zip"
    assert facts.languages == ("en", "es")
    assert (facts.age, facts.household_size, facts.annual_income) == (67, 3, 24000.5)
    assert (facts.veteran, facts.pregnant, facts.disability) == (True, False, False)
    assert (facts.insurance, facts.gender) == ("medicaid", "female")


def test_geocoded_address_is_used_over_the_zip_centroid():
    facts = parse_facts({"zip": "15221", "lat": 40.43, "lon": -79.87}, TODAY)
    assert facts.point == (40.43, -79.87) and facts.point_source == "address"
    assert facts.county == "Allegheny County"


@pytest.mark.parametrize(
    ("born", "age"),
    [("1966-03-01", 60), ("1966-03-02", 59), ("2026-03-01", 0), ("1906-03-01", 120)],
)
def test_age_comes_from_birth_date(born, age):
    facts = parse_facts({"birth_date": born, "age": 30}, TODAY)
    assert facts.age == age and facts.birth_date == date.fromisoformat(born)
    assert facts.age_on(date(2027, 3, 1)) == age + 1


def test_state_comes_from_zip_and_may_be_given_alone():
    assert parse_facts({"zip": "99501"}, TODAY).state == "AK"
    assert parse_facts({"state": "hi"}, TODAY).state == "HI"
    assert parse_facts({"zip": "15221", "state": "PA"}, TODAY).state == "PA"


def test_facts_round_trip_under_api_names():
    data = {"zip": "15221", "birth_date": "1960-05-04", "household_size": 2,
            "annual_income": 18000, "languages": ["ne"], "insurance": "uninsured",
            "lat": 40.43, "lon": -79.87}
    facts = parse_facts(data, TODAY)
    assert facts.as_dict() == {**data, "state": "PA"}
    assert parse_facts(facts.as_dict(), TODAY) == facts


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"age": -1}, "age", "Age must be a whole number of years from 0 to 120"),
        ({"age": 121}, "age", "from 0 to 120, not 121"),
        ({"age": "67"}, "age", "not '67'"),
        ({"age": 6.5}, "age", "whole number"),
        ({"age": True}, "age", "whole number"),
        ({"birth_date": "03/04/1960"}, "birth_date", "give it as YYYY-MM-DD"),
        ({"birth_date": "2026-03-02"}, "birth_date", "in the future"),
        ({"birth_date": "1900-01-01"}, "birth_date", "older than 120"),
        ({"household_size": 0}, "household_size",
         "Household size must be a whole number of people from 1 to 50, not 0"),
        ({"household_size": "2"}, "household_size", "whole number of people"),
        ({"annual_income": "twenty thousand"}, "annual_income",
         "Annual income must be a number of dollars a year"),
        ({"annual_income": "20000"}, "annual_income", "not '20000'"),
        ({"annual_income": -5}, "annual_income", "0 or more"),
        ({"annual_income": float("inf")}, "annual_income", "0 or more"),
        ({"annual_income": False}, "annual_income", "dollars a year"),
        ({"insurance": "medicade"}, "insurance",
         "Insurance must be one of medicaid, medicare, private, uninsured, not 'medicade'"),
        ({"insurance": ["medicaid"]}, "insurance", "must be one of"),
        ({"gender": "f"}, "gender", "Gender must be one of female, male"),
        ({"languages": "en"}, "languages", "must be a list of ISO 639-1 codes"),
        ({"languages": ["english"]}, "languages", "'english' is not an ISO 639-1 language"),
        ({"languages": ["xx"]}, "languages", "'xx' is not an ISO 639-1"),
        ({"languages": [1]}, "languages", "list of ISO 639-1 codes"),
        ({"zip": "00000"}, "zip", "ZIP code 00000 is not a known US ZIP code"),
        ({"zip": "1522"}, "zip", "5 digits as text"),
        ({"zip": 15221}, "zip", "5 digits as text"),
        ({"state": "XX"}, "state", "two-letter US state code, like PA, not 'XX'"),
        ({"state": "Pennsylvania"}, "state", "two-letter US state code"),
        ({"state": ["PA"]}, "state", "two-letter US state code"),
        ({"zip": "15221", "state": "OH"}, "state", "OH does not match ZIP 15221, which is in PA"),
        ({"veteran": "yes"}, "veteran", "Veteran must be true or false"),
        ({"pregnant": 1}, "pregnant", "Pregnant must be true or false"),
        ({"disability": "false"}, "disability", "Disability must be true or false"),
        ({"lat": 40.4}, "lon", "both lat and lon"),
        ({"lat": 200, "lon": -79.9}, "lat", "lat must be a number from -90 to 90"),
        ({"lat": 40.4, "lon": "west"}, "lon", "from -180 to 180"),
        ({"name": "Ada"}, "name", "'name' is not a client fact"),
        ({"income": 100}, "income", "Known facts: zip, state, age"),
    ],
)
def test_bad_facts_name_the_field(data, field, message):
    with pytest.raises(BadParameter) as caught:
        parse_facts(data, TODAY)
    assert caught.value.field == field
    assert message in caught.value.message


def test_facts_must_be_an_object():
    with pytest.raises(BadParameter) as caught:
        parse_facts(["zip", "15221"], TODAY)  # type: ignore[arg-type]
    assert caught.value.field == "client"
