"""Three of issue 10's five browser journeys, in real headless Chromium, each counting its
clicks (tests/journeys.py): a member of the public finding help, an agency's day, and a
coordinator searching and referring on a 390 px phone. (The coordinator's desk journey and
the admin's are in the tests of those features.)"""

import re

import pytest

from resdir.extensions import db
from resdir.matching.operations import create_client
from tests.journeys import Journey

pytestmark = pytest.mark.browser


def test_public_finds_a_food_pantry_near_home(live_server, mini, page, request):
    walk = Journey(page, live_server, request)
    walk.open("/")
    page.get_by_label("What do you need?").fill("food pantry")
    page.get_by_label("ZIP code").fill("15213")
    walk.click(page.get_by_role("button", name="Search"))
    page.wait_for_url(re.compile(r"q=food\+pantry"))
    heading = page.get_by_role("heading", level=2).first.inner_text()
    assert re.match(r"\d+ programs? within 10 miles of Pittsburgh, PA 15213", heading), heading
    first = page.locator("li.result").first
    assert "Hilltop Food Pantry" in first.inner_text()
    assert re.search(r"\d+\.\d mi", first.inner_text())  # how far it is

    walk.click(first.get_by_role("link", name="Hilltop Food Pantry"))
    page.wait_for_url(re.compile(r"/programs/"))
    assert page.get_by_role("heading", level=1).inner_text() == "Hilltop Food Pantry"
    # What a person needs before going: when, where, how to reach it, how to apply.
    assert page.locator("table.hours tr").count() == 7
    assert page.locator("tr.today").count() == 1
    assert page.locator("p.address").first.inner_text().strip()
    assert page.get_by_role("link", name=re.compile(r"^Directions")).count() >= 1
    assert page.get_by_role("heading", name="How to apply").is_visible()
    walk.record(at_most=2)


@pytest.fixture
def waiting_referral(app, people):
    """A coordinator at Northside Clinic has referred a client to the Hilltop pantry."""
    people.refer_to_pantry("Ottilie Fairweather-Mbeki")


def test_agency_answers_its_inbox_and_keeps_its_listing_true(live_server, people,
                                                             waiting_referral, page, request):
    walk = Journey(page, live_server, request)
    walk.open("/")
    walk.sign_in(people.emails["agency_a"])

    # Inbox: who is referred, by whom, for what, by when; accepted in one step.
    walk.click(page.get_by_role("link", name="Inbox"))
    row = page.locator("table.list tbody tr", has_text="Hilltop Food Pantry")
    assert "Ottilie Fairweather-Mbeki" in row.inner_text()
    assert "Northside Clinic" in row.inner_text()
    assert "Answer by" in row.inner_text()
    walk.click(row.get_by_role("button", name=re.compile(r"^Accept")))
    page.wait_for_load_state()
    assert "Accepted" in page.locator("table.list tbody tr",
                                      has_text="Hilltop Food Pantry").inner_text()

    # The client came: complete it with the outcome.
    walk.click(page.get_by_role("link", name="Hilltop Food Pantry"))
    walk.choose(page.get_by_label("New status"), "completed")
    walk.choose(page.get_by_label("Outcome (when completed)"), "enrolled")
    page.get_by_label("What was provided").fill("A week of groceries and a bus pass")
    walk.click(page.get_by_role("button", name="Save status"))
    page.wait_for_load_state()
    assert page.locator("#status").inner_text() == "completed"

    # Keep the listing true: new hours, then confirm everything else is current.
    walk.click(page.get_by_role("link", name="My listings"))
    walk.click(page.get_by_role("link", name="Edit Hilltop Food Pantry"))
    page.get_by_label("Saturday closes", exact=True).fill("15:00")  # open an hour longer
    walk.click(page.get_by_role("button", name="Save changes"))
    page.wait_for_url(re.compile(r"/agency/$"))
    assert "Saved 1 change to Hilltop Food Pantry" in page.get_by_role("status").inner_text()
    walk.click(page.get_by_role("button", name=re.compile(r"^Confirm all \d+ listings")))
    page.wait_for_url(re.compile(r"/agency/$"))
    assert "confirmed" in page.get_by_role("status").inner_text()

    # The public sees the new Saturday hours.
    walk.open("/?q=pantry&open_day=sat&open_time=14:30")
    assert "Hilltop Food Pantry" in page.locator("li.result").first.inner_text()
    walk.record(at_most=12)


@pytest.fixture
def phone(browser):
    """A 390 px wide touch phone."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    yield context.new_page()
    context.close()


def test_phone_coordinator_searches_and_refers(live_server, people, phone, request):
    from resdir.auth.models import User

    with people.app.app_context():
        coord = db.session.get(User, people.ids["coord_a"])
        create_client(coord, {"name": "Ignatius Abernathy-Okafor", "zip": "15213",
                              "needs": ["food-insecurity"]})
        db.session.commit()
    page = phone
    walk = Journey(page, live_server, request)
    walk.open("/")
    walk.sign_in(people.emails["coord_a"])

    # Search near the client's ZIP, pick the pantry from the results.
    page.get_by_label("What do you need?").fill("food pantry")
    page.get_by_label("ZIP code").fill("15213")
    walk.click(page.get_by_role("button", name="Search", exact=True))
    page.wait_for_url(re.compile(r"q=food"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    pantry = page.locator("li.result", has_text="Hilltop Food Pantry").first
    with page.expect_navigation():
        walk.click(pantry.get_by_role("button", name=re.compile("^Pick for referral")))

    # Refer the client to the picked program, with consent.
    walk.click(page.get_by_role("link", name="Picked (1)"))
    walk.choose(page.get_by_label("Client", exact=True), label="Ignatius Abernathy-Okafor")
    walk.choose(page.get_by_label("Need", exact=True), label="Food Insecurity")
    walk.check(page.get_by_label("The client consents to sharing"))
    refer = page.get_by_role("button", name="Refer to all picked programs")
    box = refer.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390  # reachable, not clipped
    walk.click(refer)
    page.wait_for_url(re.compile(r"/picks\?client="))
    assert "1 referral made." in page.get_by_role("status").first.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(live_server + "/referrals")
    assert "Hilltop Food Pantry" in page.locator("table.list").inner_text()
    walk.record(at_most=9)
