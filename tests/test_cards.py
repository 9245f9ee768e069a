"""Result cards (issue 10): open now / closes at / opens next in the program's own time
zone, today's hours, languages by name, capacity counts, the eligibility hint for a
coordinator's client, and the map's data (no marker for a confidential place)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from resdir.directory import cards
from resdir.directory import models as m
from resdir.extensions import db

WEEKDAYS = tuple((day, time(9), time(17)) for day in ("MO", "TU", "WE", "TH", "FR"))
# Monday 30 November 2026: 15:00 UTC is 10 AM in Pittsburgh and 7 AM in Los Angeles.
MONDAY_10AM_EASTERN = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def _card(app, service_id, now, zone=None):
    with app.app_context():
        if zone:
            for loc in db.session.scalars(select(m.Location)):
                loc.timezone = zone
            db.session.commit()
        return cards.cards_for([service_id], now)[service_id]


@pytest.mark.parametrize(("hours", "now", "zone", "expected", "today"), [
    (WEEKDAYS, MONDAY_10AM_EASTERN, None, "Open now · closes at 5 PM", "9 AM - 5 PM"),
    # The same instant is 7 AM in the program's own time zone.
    (WEEKDAYS, MONDAY_10AM_EASTERN, "America/Los_Angeles", "Closed now · opens at 9 AM",
     "9 AM - 5 PM"),
    (WEEKDAYS, datetime(2026, 11, 30, 23, 0, tzinfo=UTC), None,
     "Closed now · opens tomorrow at 9 AM", "9 AM - 5 PM"),
    (WEEKDAYS, datetime(2026, 12, 4, 23, 0, tzinfo=UTC), None,
     "Closed now · opens Monday at 9 AM", "9 AM - 5 PM"),
    # Back to back spans close at the end of the last one.
    ((("MO", time(9), time(12)), ("MO", time(12), time(17))), MONDAY_10AM_EASTERN, None,
     "Open now · closes at 5 PM", "9 AM - noon, noon - 5 PM"),
    # Overnight: open Monday 8 PM until 2 AM; at 11 PM it closes on Tuesday.
    ((("MO", time(20), time(2)),), datetime(2026, 12, 1, 4, 0, tzinfo=UTC), None,
     "Open now · closes Tuesday at 2 AM", "8 PM - 2 AM (next day)"),
    ((), MONDAY_10AM_EASTERN, None, "Hours not listed: call ahead", ""),
])
def test_open_now_closes_at_in_the_programs_time_zone(app, make_service, hours, now, zone,
                                                       expected, today):
    sid = make_service("Pantry", hours=hours)
    card = _card(app, sid, now, zone)
    assert (card.open.text, card.open.today) == (expected, today)


def test_a_holiday_closure_closes_today(app, make_service):
    sid = make_service("Pantry", hours=WEEKDAYS)
    with app.app_context():
        service = db.session.get(m.Service, sid)
        service.schedules.append(m.Schedule(
            closed=True, valid_from=date(2026, 11, 30), valid_to=date(2026, 11, 30),
            position=100))
        db.session.commit()
    card = _card(app, sid, MONDAY_10AM_EASTERN)
    assert (card.open.open, card.open.text) == (False, "Closed today")


def test_search_page_cards_say_hours_languages_capacity_and_distance(client, make_service):
    make_service("Northside Food Pantry", description="Groceries every week.",
                 hours=tuple((d, time(0), time(0)) for d in ("MO", "TU", "WE", "TH", "FR",
                                                                 "SA", "SU")),
                 languages=("en", "es", "ne"), capacity_status="capacity",
                 capacity_available=3, capacity_maximum=10, zip_code="15213")
    page = client.get("/?q=food+pantry&zip=15213").get_data(as_text=True)
    assert "Open 24 hours" in page
    assert "Languages: English, Spanish, Nepali" in page
    assert "3 of 10 places open" in page and "Accepting clients" in page
    assert " mi</p>" in page  # the distance
    # The map's marker data: the program's own place.
    assert 'data-lat="40.4442" data-lon="-79.9557"' in page
    assert "leaflet/leaflet.js" in page


def test_a_confidential_place_gets_no_marker(client, make_service):
    make_service("Safe House", description="Shelter for survivors.", confidential=True,
                 categories=("safety",), lat=40.4501, lon=-79.9601)
    page = client.get("/?q=shelter&zip=15213").get_data(as_text=True)
    assert "Safe House" in page
    assert "40.4501" not in page and "data-lat" not in page
    assert 'id="results-map"' not in page  # no place to show: no map at all


def test_tile_origin_is_the_only_image_host_the_page_allows(app, client):
    app.config["RESDIR_MAP_TILE_URL"] = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://*.tiles.example.org;" in policy


@pytest.fixture
def elder(app, people):
    """A coordinator A client aged 70, searching for food."""
    from resdir.auth.models import User
    from resdir.matching.operations import create_client

    with app.app_context():
        coord = db.session.get(User, people.ids["coord_a"])
        return create_client(coord, {"name": "Ada Elder", "zip": "15213",
                                     "birth_date": "1956-01-01", "needs": ["food-insecurity"]}).id


def test_eligibility_hint_for_the_coordinators_client(app, people, make_service, elder):
    with app.app_context():
        sid = make_service("Youth Food Club", description="Snacks and groceries for youth.",
                           minimum_age=12, maximum_age=24)
        assert sid
    coord = people.login(app.test_client(), "coord_a")
    page = coord.get(f"/?q=groceries&client={elder}").get_data(as_text=True)
    assert "Searching for Ada Elder" in page
    assert "For this client: Not eligible (age)" in page
    assert "Ada Elder" not in coord.get("/?q=groceries").get_data(as_text=True)
    # Another care organization's coordinator learns nothing; nobody signed out either.
    other = people.login(app.test_client(), "coord_b")
    assert other.get(f"/?q=groceries&client={elder}").status_code == 404
    assert app.test_client().get(f"/?q=groceries&client={elder}").status_code == 401


def test_find_help_results_carry_the_same_cards(app, people, elder):
    coord = people.login(app.test_client(), "coord_a")
    page = coord.get(f"/clients/{elder}").get_data(as_text=True)
    pantry = page[page.index("Hilltop Food Pantry"):]
    pantry = pantry[:pantry.index("Why here")]
    assert "Today: " in pantry and "Languages: English" in pantry
    assert re.search(r"(Open now · closes|Closed now · opens|Closed today)", pantry)
    # From the client's page, the directory search in the client's context.
    assert f'href="/?client={elder}"' in page
