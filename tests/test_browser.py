"""The search journey in real headless Chromium."""

import re

import pytest

pytestmark = pytest.mark.browser


def test_coordinator_searches_near_a_zip_and_opens_a_program(live_server, mini, page):
    page.goto(live_server + "/")
    page.get_by_label("What do you need?").fill("rent help")
    page.get_by_label("ZIP code").fill("15213")
    page.get_by_label("Within (miles)").select_option("5")
    page.get_by_role("button", name="Search").click()

    heading = page.get_by_role("heading", level=2)
    assert heading.inner_text() == "1 program within 5 miles of Pittsburgh, PA 15213"
    # The URL is shareable: the search is in it, and reloading gives the same page.
    assert "q=rent+help" in page.url and "zip=15213" in page.url
    result = page.locator("li.result").first
    assert "1.6 mi" in result.inner_text()
    assert "may be out of date" in result.inner_text()

    result.get_by_role("link", name="Emergency Rent Assistance").click()
    page.wait_for_url(re.compile(r"/programs/"))
    assert page.get_by_role("heading", level=1).inner_text() == "Emergency Rent Assistance"
    assert page.get_by_text("Household income at or below 200%").is_visible()
    assert page.locator("table.hours tr").count() == 7


def test_category_checkbox_narrows_results_and_shows_counts(live_server, mini, page):
    page.goto(live_server + "/?q=shelter")
    page.get_by_label(re.compile(r"^Safety")).check()
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"category=safety"))
    names = page.locator("li.result h3").all_inner_texts()
    assert names == ["Domestic Violence Shelter"]
    assert "Housing (2)" in page.locator("fieldset.categories").inner_text()
    assert "1 Hidden Lane" not in page.content()


def test_keyboard_only_search(live_server, mini, page):
    page.goto(live_server + "/")
    page.keyboard.press("Tab")  # skip link first
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.get_by_label("What do you need?").focus()
    page.keyboard.type("therapy")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=therapy"))
    assert "Sliding Scale Counseling" in page.locator("ol.result-list").inner_text()


def test_phone_width_and_zoom_keep_the_page_readable(live_server, mini, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2)
    page = context.new_page()
    page.goto(live_server + "/?q=food&zip=15219")
    # Nothing wider than the screen: no sideways scrolling on a phone (or at 200% zoom).
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.locator("li.result").count() >= 1
    context.close()


def test_bad_zip_shows_a_message_not_an_error_page(live_server, mini, page):
    page.goto(live_server + "/?zip=00000")
    assert "We don't know ZIP 00000. Check it" in page.get_by_role("alert").inner_text()
