"""The map beside the results, in real headless Chromium, with no tile server at all (the
test app's tile URL is a closed loopback port): markers are placed, the list still works."""

import re

import pytest

pytestmark = pytest.mark.browser


def test_markers_are_placed_and_the_list_works_when_tiles_fail(live_server, mini, page):
    tile_requests = []
    page.on("requestfailed", lambda r: tile_requests.append(r.url) if "/tiles/" in r.url
            else None)
    page.goto(live_server + "/?zip=15213&radius_mi=25")
    results = page.locator("li.result")
    placed = page.locator("li.result[data-lat]")
    assert results.count() >= 2 and placed.count() >= 2
    the_map = page.locator("#results-map")
    page.wait_for_function(
        "document.getElementById('results-map').dataset.markers !== undefined")
    assert the_map.get_attribute("data-markers") == str(placed.count())
    assert page.locator("#results-map .leaflet-marker-icon").count() == placed.count()
    # The tiles were asked for and failed: the page says so, and nothing else broke.
    page.wait_for_function(
        "document.getElementById('results-map').dataset.tilesFailed !== undefined")
    assert tile_requests and all(u.startswith("http://127.0.0.1:9/") for u in tile_requests)
    assert "no-tiles" in the_map.get_attribute("class")
    # A marker names its program (numbered as in the list) and links to it.
    first_name = placed.first.locator("h3 a").inner_text()
    marker = page.locator("#results-map .leaflet-marker-icon").first
    assert re.fullmatch(r"\d+\. .+", marker.get_attribute("title"))
    marker.press("Enter")  # markers are reachable by keyboard (several may share a place)
    popup_link = page.locator(".leaflet-popup-content a")
    assert popup_link.inner_text() == marker.get_attribute("title")
    number = marker.get_attribute("title").split(".")[0]
    assert "highlight" in page.locator(f"#result-{number}").get_attribute("class")
    # The list works without the map: open the first program from its card.
    placed.first.get_by_role("link", name=first_name).click()
    page.wait_for_url(re.compile(r"/programs/"))
    assert page.get_by_role("heading", level=1).inner_text() == first_name
