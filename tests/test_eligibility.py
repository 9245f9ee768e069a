from __future__ import annotations

import json
from dataclasses import fields, replace
from datetime import date

import pytest
from sqlalchemy import event

from resdir.directory import models as m
from resdir.directory.facts import AreaFacts, ProgramFacts, RulesFacts
from resdir.directory.facts_query import load_facts
from resdir.matching import areas
from resdir.matching.eligibility import evaluate
from resdir.matching.facts import parse_facts
from resdir.matching.poverty import percent_of_poverty

TODAY = date(2026, 3, 1)  # 2026 guidelines: $15,960 + $5,680 in the contiguous states
SQUARE = {"type": "Polygon", "coordinates": [
    [[-80.0, 40.4], [-79.9, 40.4], [-79.9, 40.5], [-80.0, 40.5], [-80.0, 40.4]]]}


BLANK = ProgramFacts(
    id="p1", name="Program", organization_id=None, organization_name="Agency",
    alternate_name=None,
    description=None, eligibility_description=None, status="active", capacity_status=None,
    capacity_available=None, capacity_maximum=None, minimum_age=None, maximum_age=None,
    assured_date=None, phone=None, locations=(), schedules=(), languages=(), categories=(),
    source_terms=(), eligibility=None, service_areas=(),
)


def program(min_age=None, max_age=None, areas=(), description=None, **rules) -> ProgramFacts:
    """A program's facts built in memory, no database: rules are Eligibility columns."""
    def area(given: dict) -> AreaFacts:
        return AreaFacts(**{f.name: given.get(f.name, "text" if f.name == "kind" else None)
                            for f in fields(AreaFacts)})

    eligibility_rules = RulesFacts(**{
        f.name: rules.get(f.name, False if f.name.endswith("_required") else None)
        for f in fields(RulesFacts)}) if rules else None
    return replace(BLANK, minimum_age=min_age, maximum_age=max_age,
                   eligibility_description=description, eligibility=eligibility_rules,
                   service_areas=tuple(area(a) for a in areas))


def rule_of(service: ProgramFacts, **facts) -> tuple[str, str]:
    verdict = evaluate(service, parse_facts(facts, TODAY), percent_of_poverty, TODAY)
    assert len(verdict.rules) == 1, verdict.rules
    return verdict.rules[0].result, verdict.rules[0].detail


@pytest.mark.parametrize(
    ("limits", "facts", "result", "detail"),
    [
        ({"min_age": 60}, {"age": 67}, "pass", "Age 67 meets 60 or older"),
        ({"min_age": 60}, {"age": 60}, "pass", "Age 60 meets 60 or older"),
        ({"min_age": 60}, {"age": 59}, "fail", "Age 59 does not meet 60 or older"),
        ({"min_age": 60}, {}, "unknown", "Age not given; program is for 60 or older"),
        ({"max_age": 17}, {"age": 17}, "pass", "Age 17 meets 17 or younger"),
        ({"max_age": 17}, {"age": 18}, "fail", "Age 18 does not meet 17 or younger"),
        ({"min_age": 18, "max_age": 24}, {"age": 18}, "pass", "Age 18 meets ages 18 to 24"),
        ({"min_age": 18, "max_age": 24}, {"age": 24}, "pass", "Age 24 meets ages 18 to 24"),
        ({"min_age": 18, "max_age": 24}, {"age": 25}, "fail",
         "Age 25 does not meet ages 18 to 24"),
        ({"min_age": 60}, {"birth_date": "1966-03-01"}, "pass", "Age 60 meets 60 or older"),
        ({"min_age": 60}, {"birth_date": "1966-03-02"}, "fail",
         "Age 59 does not meet 60 or older"),
        ({"min_age": 0, "max_age": 5}, {"age": 0}, "pass", "Age 0 meets 5 or younger"),
    ],
)
def test_age_limits_at_the_boundary(limits, facts, result, detail):
    assert rule_of(program(**limits), **facts) == (result, detail)


HH1_200 = 2 * 15960  # exactly 200% for a household of 1
HH9_200 = 2 * (15960 + 8 * 5680)


@pytest.mark.parametrize(
    ("facts", "result", "detail"),
    [
        ({"annual_income": HH1_200, "household_size": 1, "zip": "15221"}, "pass",
         "Income 200% of poverty guideline is at or below the 200% limit"),
        ({"annual_income": HH1_200 + 1, "household_size": 1, "zip": "15221"}, "fail",
         "Income 200.01% of poverty guideline is above the 200% limit"),
        ({"annual_income": 33835, "household_size": 1, "state": "PA"}, "fail",
         "Income 212% of poverty guideline is above the 200% limit"),
        ({"annual_income": HH9_200, "household_size": 9, "state": "PA"}, "pass",
         "Income 200% of poverty guideline is at or below the 200% limit"),
        ({"annual_income": HH9_200 + 200, "household_size": 9, "state": "PA"}, "fail",
         "Income 200.3% of poverty guideline is above the 200% limit"),
        ({"annual_income": HH1_200 - 5, "household_size": 1, "state": "PA"}, "pass",
         "Income 199.97% of poverty guideline is at or below the 200% limit"),
        ({"annual_income": HH1_200 - 100, "household_size": 1, "state": "PA"}, "pass",
         "Income 199% of poverty guideline is at or below the 200% limit"),
        ({"household_size": 1, "state": "PA"}, "unknown",
         "Household income not given; the limit is 200% of the poverty guideline"),
        ({"annual_income": 40000, "state": "PA"}, "unknown",
         "Household size not given; needed for the income limit"),
        ({"annual_income": 30000, "state": "PA"}, "pass",
         "Income is at or below the 200% limit for any household size"),
        ({"annual_income": 0}, "pass",
         "Income is at or below the 200% limit for any household size and state"),
        # Alaska and Hawaii have their own, higher guidelines.
        ({"annual_income": 39900, "household_size": 1, "zip": "99501"}, "pass",
         "Income 200% of poverty guideline is at or below the 200% limit"),
        ({"annual_income": 39900, "household_size": 1, "zip": "15221"}, "fail",
         "Income 250% of poverty guideline is above the 200% limit"),
        ({"annual_income": 36720, "household_size": 1, "zip": "96813"}, "pass",
         "Income 200% of poverty guideline is at or below the 200% limit"),
        ({"annual_income": 36800, "household_size": 1, "zip": "96813"}, "fail",
         "Income 200.4% of poverty guideline is above the 200% limit"),
        ({"annual_income": 2 * 33310, "household_size": 3, "state": "AK"}, "pass",
         "Income 200% of poverty guideline is at or below the 200% limit. The 2026 Alaska "
         "amount per extra person is not verified; used the 2025 Alaska guideline."),
        # Without a state, only an answer that holds in every region is given.
        ({"annual_income": 35000, "household_size": 1}, "unknown",
         "State not given; income is 175% to 219% of poverty guideline depending on the "
         "state (limit 200%)"),
        ({"annual_income": 45000, "household_size": 1}, "fail",
         "Income 226% of poverty guideline is above the 200% limit in any state"),
        ({"annual_income": 20000, "household_size": 1}, "pass",
         "Income is at or below the 200% limit for any state"),
    ],
)
def test_income_limit(facts, result, detail):
    assert rule_of(program(income_limit_fpl=200), **facts) == (result, detail)


@pytest.mark.parametrize(
    ("limits", "size", "result", "detail"),
    [
        ((2, 8), 1, "fail", "Household of 1 does not meet households of 2 to 8 people"),
        ((2, 8), 2, "pass", "Household of 2 meets households of 2 to 8 people"),
        ((2, 8), 8, "pass", "Household of 8 meets households of 2 to 8 people"),
        ((2, 8), 9, "fail", "Household of 9 does not meet households of 2 to 8 people"),
        ((2, None), 9, "pass", "Household of 9 meets households of 2 or more"),
        ((None, 1), 1, "pass", "Household of 1 meets households of up to 1 person"),
        ((2, 8), None, "unknown",
         "Household size not given; program is for households of 2 to 8 people"),
    ],
)
def test_household_size(limits, size, result, detail):
    service = program(household_size_min=limits[0], household_size_max=limits[1])
    assert rule_of(service, household_size=size) == (result, detail)


RULES = [
    ({"veteran_required": True}, {"veteran": True}, "pass", "Veteran; program is for veterans"),
    ({"veteran_required": True}, {"veteran": False}, "fail",
     "Not a veteran; program is for veterans"),
    ({"veteran_required": True}, {}, "unknown",
     "Veteran status not given; program is for veterans"),
    ({"insurance": "medicaid;medicare"}, {"insurance": "medicare"}, "pass",
     "Has Medicare; program takes Medicaid or Medicare"),
    ({"insurance": "medicaid;medicare"}, {"insurance": "private"}, "fail",
     "Has private insurance; program takes Medicaid or Medicare"),
    ({"insurance": "uninsured"}, {"insurance": "uninsured"}, "pass",
     "Has no insurance; program takes no insurance"),
    ({"insurance": "medicaid"}, {}, "unknown", "Insurance not given; program takes Medicaid"),
    ({"gender": "female"}, {"gender": "female"}, "pass", "Woman; program is for women"),
    ({"gender": "female"}, {"gender": "male"}, "fail", "Man; program is for women"),
    ({"gender": "male"}, {"gender": "nonbinary"}, "unknown",
     "Nonbinary; program is for men: ask the program"),
    ({"gender": "female"}, {}, "unknown", "Gender not given; program is for women"),
    ({"pregnancy_required": True}, {"pregnant": True}, "pass",
     "Pregnant; program is for pregnant people"),
    ({"pregnancy_required": True}, {"pregnant": False}, "fail",
     "Not pregnant; program is for pregnant people"),
    ({"pregnancy_required": True}, {}, "unknown",
     "Pregnancy not given; program is for pregnant people"),
    ({"disability_required": True}, {"disability": True}, "pass",
     "Has a disability; program is for people with a disability"),
    ({"disability_required": True}, {"disability": False}, "fail",
     "No disability; program is for people with a disability"),
    ({"disability_required": True}, {}, "unknown",
     "Disability not given; program is for people with a disability"),
    ({"languages": "ar;ps"}, {"languages": ["en", "ps"]}, "pass",
     "Speaks Pashto; program is for speakers of Arabic or Pashto"),
    ({"languages": "ar;ps"}, {"languages": ["en", "es"]}, "fail",
     "Speaks English or Spanish; program is for speakers of Arabic or Pashto"),
    ({"languages": "ar"}, {}, "unknown", "Languages not given; program is for speakers of Arabic"),
]


@pytest.mark.parametrize(("rules", "facts", "result", "detail"), RULES)
def test_each_rule_passes_fails_or_is_unknown(rules, facts, result, detail):
    assert rule_of(program(**rules), **facts) == (result, detail)


ZIPS = {"kind": "postal_codes", "extent": "15221;15222-0001", "name": "ZIP codes served"}
COUNTY = {"kind": "county", "extent": "Allegheny County, PA", "name": "Allegheny County, PA"}
RADIUS = {"kind": "radius", "radius_mi": 5, "center_latitude": 40.4406,
          "center_longitude": -79.9959, "name": "Nearby residents"}
POLYGON = {"kind": "polygon", "extent": json.dumps(SQUARE), "extent_type": "geojson",
           "name": "Neighborhood served"}


@pytest.mark.parametrize(
    ("areas", "facts", "result", "detail"),
    [
        ([ZIPS], {"zip": "15221"}, "pass", "ZIP 15221 is in ZIP codes served"),
        ([ZIPS], {"zip": "15222"}, "pass", "ZIP 15222 is in ZIP codes served"),
        ([ZIPS], {"zip": "15090"}, "fail",
         "Outside the area served: ZIP 15090 is not among 15221, 15222"),
        ([ZIPS], {}, "unknown", "ZIP or address not given; program serves: ZIP 15221, 15222-0001"),
        ([ZIPS], {"lat": 40.43, "lon": -79.87}, "unknown", "ZIP not given"),
        ([COUNTY], {"zip": "15090"}, "pass", "Lives in Allegheny County, PA"),
        ([{**COUNTY, "extent": "allegheny, pa"}], {"zip": "15090"}, "pass",
         "Lives in Allegheny County, PA"),
        ([COUNTY], {"zip": "16001"}, "fail",
         "Outside the area served: Lives in Butler County, PA, not Allegheny County, PA"),
        ([COUNTY], {"lat": 40.43, "lon": -79.87}, "unknown",
         "County not known (ZIP not given)"),
        ([RADIUS], {"zip": "15222"}, "pass",
         "ZIP 15222 (center) is 0.5 miles from the program, within 5 miles"),
        ([RADIUS], {"zip": "15090"}, "fail",
         "Outside the area served: ZIP 15090 (center) is 12.4 miles from the program, "
         "beyond 5 miles"),
        ([RADIUS], {"lat": 40.4406, "lon": -79.9959}, "pass",
         "The address is 0.0 miles from the program, within 5 miles"),
        ([POLYGON], {"lat": 40.45, "lon": -79.95}, "pass",
         "The address is inside Neighborhood served"),
        ([POLYGON], {"lat": 40.45, "lon": -80.0}, "pass",
         "The address is inside Neighborhood served"),  # on the edge
        ([POLYGON], {"lat": 40.5, "lon": -79.9}, "pass",
         "The address is inside Neighborhood served"),  # on a corner
        ([POLYGON], {"lat": 40.45, "lon": -80.0001}, "fail",
         "Outside the area served: The address is outside Neighborhood served"),
        ([POLYGON], {"zip": "15222"}, "pass", "ZIP 15222 (center) is inside Neighborhood served"),
        ([{**POLYGON, "extent": json.dumps({"type": "Feature", "geometry": SQUARE})}],
         {"lat": 40.45, "lon": -79.95}, "pass", "The address is inside Neighborhood served"),
        ([{**POLYGON, "extent": "{not json"}], {"lat": 40.45, "lon": -79.95}, "unknown",
         "The map of Neighborhood served could not be read; check with the program"),
        # Any one area is enough; a failed area is listed after what to find out.
        ([ZIPS, COUNTY], {"zip": "15090"}, "pass", "Lives in Allegheny County, PA"),
        ([ZIPS, {"kind": "text", "extent": "North Side"}], {"zip": "15090"}, "unknown",
         "Serves North Side: check with the program; ZIP 15090 is not among 15221, 15222"),
        ([], {"zip": "15221"}, "unknown",
         "Serves residents of an area that is not mapped; check with the program"),
    ],
)
def test_residency(areas, facts, result, detail):
    service = program(areas=areas, residency_required=True)
    assert rule_of(service, **facts) == (result, detail)


def test_service_areas_are_not_a_rule_unless_residency_is_required():
    verdict = evaluate(program(areas=[ZIPS], veteran_required=True),
                       parse_facts({"zip": "15090", "veteran": True}, TODAY),
                       percent_of_poverty, TODAY)
    assert [r.rule for r in verdict.rules] == ["veteran"]


@pytest.mark.parametrize(
    ("facts", "status", "summary"),
    [
        ({"age": 67, "annual_income": 20000, "household_size": 2, "zip": "15221"},
         "eligible", "Eligible"),
        ({"age": 67, "household_size": 2}, "likely",
         "May be eligible (unknown: income, residency)"),
        ({"age": 67, "annual_income": 20000}, "likely", "May be eligible (unknown: residency)"),
        ({"age": 50, "zip": "15090"}, "ineligible", "Not eligible (age, residency)"),
    ],
)
def test_overall_status(facts, status, summary):
    service = program(min_age=60, areas=[ZIPS], income_limit_fpl=200, residency_required=True)
    verdict = evaluate(service, parse_facts(facts, TODAY), percent_of_poverty, TODAY)
    assert (verdict.status, verdict.summary) == (status, summary)
    assert [r.rule for r in verdict.rules] == ["age", "income", "residency"]
    assert verdict.as_dict()["status"] == status and "description" not in verdict.as_dict()


@pytest.mark.parametrize(
    "service",
    [program(description="Call to ask about income limits."),
     program(description="Call to ask about income limits.", veteran_required=False)],
)
def test_program_without_structured_rules_is_unknown_with_its_text(service):
    verdict = evaluate(service, parse_facts({"age": 30}, TODAY), percent_of_poverty, TODAY)
    assert verdict.as_dict() == {"status": "unknown", "rules": [],
                                 "description": "Call to ask about income limits."}
    assert verdict.summary == "Eligibility not known: read the program's eligibility text"


def test_polygons_are_parsed_once():
    extent = json.dumps({**SQUARE, "bbox": [-80.0, 40.4, -79.9, 40.5]})
    service = program(areas=[{**POLYGON, "extent": extent}], residency_required=True)
    facts = parse_facts({"lat": 40.45, "lon": -79.95}, TODAY)
    before = areas._polygon.cache_info()
    for _ in range(3):
        assert evaluate(service, facts, percent_of_poverty, TODAY).status == "eligible"
    after = areas._polygon.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 2)


def test_loaded_programs_are_evaluated_without_queries(app, make_service):
    from resdir.extensions import db

    with app.app_context():
        service_id = make_service(minimum_age=60)
        service = db.session.get(m.Service, service_id)
        service.eligibility = m.Eligibility(income_limit_fpl=150, residency_required=True)
        service.service_areas = [m.ServiceArea(**COUNTY)]
        db.session.commit()
        db.session.expunge_all()
        loaded = load_facts([service_id])[service_id]
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        verdict = evaluate(loaded, parse_facts({"age": 70, "zip": "15221"}, TODAY),
                           percent_of_poverty, TODAY)
        assert statements == []
    assert verdict.status == "likely" and verdict.unknown == ["income"]
