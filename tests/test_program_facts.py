"""ProgramFacts: every column is a fact or left out on purpose, and the loader reads each
fact from its row (one shape for indexing, matching and the result cards)."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, time

import pytest

from resdir.directory import indexing
from resdir.directory import models as m
from resdir.directory.facts import (
    LEFT_OUT,
    AreaFacts,
    PlaceFacts,
    ProgramFacts,
    RulesFacts,
    ScheduleFacts,
)
from resdir.directory.facts_query import load_facts, stream_facts
from resdir.extensions import db

# table -> (its facts class, the class's fields that are not columns of the table)
SHAPES = {
    "service": (ProgramFacts, {"organization_name", "phone", "locations", "schedules",
                               "languages", "categories", "source_terms", "eligibility",
                               "service_areas"}),
    "location": (PlaceFacts, {"postal_code", "address"}),
    "schedule": (ScheduleFacts, set()),
    "eligibility": (RulesFacts, set()),
    "service_area": (AreaFacts, set()),
}


@pytest.mark.parametrize("table", sorted(SHAPES))
def test_every_column_is_a_fact_or_left_out_on_purpose(table):
    columns = set(db.metadata.tables[table].c.keys())
    shape, derived = SHAPES[table]
    facts = {f.name for f in fields(shape)} - derived
    left_out = set(LEFT_OUT[table])
    assert columns - facts - left_out == set(), (
        f"new {table} column(s): add them to {shape.__name__} (and facts_query.py) or to "
        f"LEFT_OUT[{table!r}] in resdir/directory/facts.py with the reason")
    assert facts - columns == set(), f"{shape.__name__} names no such {table} column"
    assert left_out - columns == set(), f"LEFT_OUT[{table!r}] names no such column"
    assert not facts & left_out


@pytest.fixture
def full_program(app):
    """A program with every fact set to something other than its default."""
    with app.app_context():
        category = db.session.scalars(db.select(m.TaxonomyTerm).where(
            m.TaxonomyTerm.taxonomy_id == m.CATEGORY_TAXONOMY_ID, m.TaxonomyTerm.code == "food"
        )).one()
        airs = m.Taxonomy(name="AIRS/211 LA County")
        db.session.add(airs)
        db.session.flush()
        term = m.TaxonomyTerm(taxonomy_id=airs.id, code="BD-1800", name="Emergency Food")
        org = m.Organization(name="Facts Agency")
        hidden = m.Location(organization=org, latitude=40.1, longitude=-79.1,
                            timezone="America/Chicago", confidential=True)
        hidden.addresses = [
            m.Address(address_1="PO Box 1", city="Pittsburgh", state_province="PA",
                      postal_code="15222", address_type="postal"),
            m.Address(address_1="1 Safe St", city="Pittsburgh", state_province="PA",
                      postal_code="15213", address_type="physical"),
        ]
        shown = m.Location(organization=org, latitude=40.4, longitude=-79.9)
        service = m.Service(
            organization=org, name="Full Program", alternate_name="Everything Pantry",
            description="Groceries weekly.", eligibility_description="Residents only.",
            status="inactive", capacity_status="waitlist", capacity_available=3,
            capacity_maximum=10, minimum_age=18, maximum_age=64,
            assured_date=date(2026, 5, 4))
        service.service_at_locations = [m.ServiceAtLocation(location=hidden),
                                        m.ServiceAtLocation(location=shown)]
        service.schedules = [
            m.Schedule(freq="WEEKLY", byday="TU", opens_at=time(13), closes_at=time(17),
                       position=1),
            m.Schedule(closed=True, valid_from=date(2026, 12, 24), valid_to=date(2026, 12, 26),
                       position=2),
            m.Schedule(freq="WEEKLY", byday="MO", opens_at=time(9), closes_at=time(12),
                       position=0),
        ]
        service.languages = [m.Language(code="es"), m.Language(code="vi")]
        service.attributes = [
            m.Attribute(link_entity="service", taxonomy_term=category),
            m.Attribute(link_entity="service", taxonomy_term=term),
        ]
        service.eligibility = m.Eligibility(
            income_limit_fpl=200, household_size_min=2, household_size_max=6,
            veteran_required=True, insurance="medicaid", gender="female",
            pregnancy_required=True, disability_required=True, languages="es",
            residency_required=True)
        service.service_areas = [m.ServiceArea(
            kind="radius", name="Near", extent="10 miles", radius_mi=10.0,
            center_latitude=40.4, center_longitude=-79.9)]
        db.session.add(service)
        indexing.commit()
        return service.id


def _columns_equal(fact, row) -> None:
    columns = set(row.__table__.c.keys())
    compared = [f.name for f in fields(fact) if f.name in columns]
    assert compared
    for name in compared:
        assert getattr(fact, name) == getattr(row, name), name


def test_loaded_facts_hold_every_column_of_their_rows(app, full_program):
    with app.app_context():
        loaded = load_facts([full_program, "no-such-program"])
        assert list(loaded) == [full_program]
        facts = loaded[full_program]
        assert list(stream_facts([full_program])) == [facts]
        service = db.session.get(m.Service, full_program)
        _columns_equal(facts, service)
        assert facts.organization_name == "Facts Agency"
        _columns_equal(facts.eligibility, service.eligibility)
        assert [f.radius_mi for f in facts.service_areas] == [10.0]
        _columns_equal(facts.service_areas[0], service.service_areas[0])
        # In the program's order (position), whatever order they were saved in.
        assert [s.byday for s in facts.schedules] == ["MO", "TU", None]
        for fact, row in zip(facts.schedules, service.schedules, strict=True):
            _columns_equal(fact, row)
        by_latitude = sorted(facts.locations, key=lambda p: p.latitude)
        for fact, location in zip(by_latitude, sorted(service.locations,
                                                      key=lambda loc: loc.latitude),
                                  strict=True):
            _columns_equal(fact, location)
        # The physical address's ZIP: a confidential place is searched from its centre.
        assert [p.postal_code for p in by_latitude] == ["15213", None]
        assert facts.timezone == "America/Chicago"
        assert facts.languages == ("es", "vi")
        assert [c.code for c in facts.categories] == ["food"]
        assert facts.source_terms == ("Emergency Food",)


def test_a_program_without_rules_or_places_loads_empty_parts(app, make_service):
    with app.app_context():
        service_id = make_service(categories=(), languages=())
        db.session.execute(db.delete(m.ServiceAtLocation))
        db.session.commit()
        facts = load_facts([service_id])[service_id]
    assert (facts.eligibility, facts.locations, facts.service_areas, facts.languages,
            facts.categories, facts.timezone) == (None, (), (), (), (), None)
