"""The whole referral loop in real headless Chromium: refer, accept, complete, see it closed."""

import re

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, base, email):
    page.goto(base + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/$"))


def test_coordinator_refers_agency_completes_coordinator_sees_it_closed(live_server, people,
                                                                         page):
    # The coordinator records a client, finds help and refers with consent.
    sign_in(page, live_server, people.emails["coord_a"])
    page.goto(live_server + "/clients/new")
    page.get_by_label("Name", exact=True).fill("Tamsin Okonkwo-Reyes")
    page.get_by_label("ZIP code").fill("15213")
    page.get_by_label("Age", exact=True).fill("41")
    page.get_by_label("Food Insecurity").check()
    page.get_by_role("button", name="Save and find help").click()
    page.wait_for_url(re.compile(r"/clients/[0-9a-f-]+$"))
    assert "Tamsin" not in page.url
    pantry = page.locator("li.result", has_text="Hilltop Food Pantry")
    pantry.locator("summary").click()  # the eligibility chip opens to its rules
    assert pantry.locator("li.rule").count() >= 1 or "not known" in pantry.inner_text()
    pantry.get_by_role("checkbox").check()
    page.get_by_label("The client consents to sharing").check()
    page.get_by_role("button", name="Refer").click()
    page.wait_for_url(re.compile(r"/referrals$"))
    assert "1 referral made." in page.get_by_role("status").first.inner_text()
    assert "Sent (waiting for the agency)" in page.locator("table.list").inner_text()
    sign_out(page)

    # The agency finds it in its inbox, accepts, then completes with an outcome.
    sign_in(page, live_server, people.emails["agency_a"])
    page.goto(live_server + "/referrals")
    page.get_by_role("link", name="Hilltop Food Pantry").click()
    assert "Tamsin Okonkwo-Reyes" in page.get_by_role("region", name="Client (as shared)") \
        .inner_text()
    page.get_by_label("New status").select_option("accepted")
    page.get_by_role("button", name="Save status").click()
    page.wait_for_load_state()
    assert page.locator("#status").inner_text() == "accepted"
    page.get_by_label("New status").select_option("completed")
    page.get_by_label("Outcome (when completed)").select_option("enrolled")
    page.get_by_label("What was provided").fill("Two weeks of groceries")
    page.get_by_role("button", name="Save status").click()
    page.wait_for_load_state()
    assert page.locator("#status").inner_text() == "completed"
    sign_out(page)

    # The coordinator sees the loop closed, with the outcome and the timeline.
    sign_in(page, live_server, people.emails["coord_a"])
    page.goto(live_server + "/referrals?status=completed")
    page.get_by_role("link", name="Hilltop Food Pantry").click()
    assert page.locator("#status").inner_text() == "completed"
    assert "Enrolled: Two weeks of groceries" in page.content()
    timeline = page.locator("ol.timeline").inner_text()
    assert "requested → accepted" in timeline and "accepted → completed" in timeline
