"""The agency journey in real headless Chromium: sign in, edit hours and capacity, confirm,
see the change in search."""

import re

import pytest

from tests.test_browser_referrals import sign_in

pytestmark = pytest.mark.browser


def test_agency_keeps_its_listing_true(live_server, people, page):
    sign_in(page, live_server, people.emails["agency_a"])
    page.goto(live_server + "/agency/")
    page.get_by_role("link", name="Edit Hilltop Food Pantry").click()
    # Hours in the row of the day (issue 10, defect 8), not typed as text.
    page.get_by_label("Sunday opens", exact=True).fill("11:00")
    page.get_by_label("Sunday closes", exact=True).fill("15:00")
    page.get_by_label("Capacity", exact=True).select_option("waitlist")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(re.compile(r"/agency/$"))
    assert "Saved 2 changes to Hilltop Food Pantry" in page.get_by_role("status").inner_text()

    page.get_by_role("button", name="Confirm Hilltop Food Pantry is correct").click()
    page.wait_for_url(re.compile(r"/agency/$"))
    assert "confirmed as correct today" in page.get_by_role("status").inner_text()

    # Anyone searching for programs open on Sunday at noon now finds it, on a waitlist.
    page.goto(live_server + "/?q=pantry&open_day=sun&open_time=12:00")
    result = page.locator("li.result").first
    assert "Hilltop Food Pantry" in result.inner_text()
    assert "Waitlist" in result.inner_text()
    assert "may be out of date" not in result.inner_text()
