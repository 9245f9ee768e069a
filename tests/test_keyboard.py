"""A coordinator who uses only the keyboard signs in, searches, picks a program from the
results and refers a client to it: every step is reached with Tab and used with Enter, Space
or typing, and every stop on the way shows where the focus is (issue 10, accessibility)."""

import re

import pytest

from resdir.extensions import db
from resdir.matching.operations import create_client
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

FOCUSED = """() => {
  const e = document.activeElement, style = getComputedStyle(e);
  const label = e.labels && e.labels.length ? e.labels[0].innerText
              : (e.getAttribute('aria-label') || e.textContent || e.value || '');
  return {tag: e.tagName.toLowerCase(), name: label.trim().replace(/\\s+/g, ' '),
          outline: style.outlineStyle, width: parseFloat(style.outlineWidth) || 0};
}"""


class Keyboard:
    """Moves through a page with Tab only, checking each stop's focus ring on the way."""

    def __init__(self, page):
        self.page = page
        self.unseen = []  # stops where the focus was not visible

    def tab_to(self, name: str, limit: int = 250) -> dict:
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            focused = self.page.evaluate(FOCUSED)
            if focused["tag"] not in ("body", "main") and (
                    focused["outline"] == "none" or focused["width"] < 2):
                self.unseen.append(f"{focused['tag']} '{focused['name'][:40]}' on "
                                   f"{self.page.url}")
            if re.search(name, focused["name"]):
                return focused
        raise AssertionError(f"Tab never reached '{name}' on {self.page.url}")


@pytest.fixture
def client_id(app, people):
    from resdir.auth.models import User

    with app.app_context():
        coord = db.session.get(User, people.ids["coord_a"])
        client = create_client(coord, {"name": "Bartholomew Nakashima", "zip": "15213",
                                       "needs": ["food-insecurity"]})
        db.session.commit()
        return client.id


def test_keyboard_only_search_to_referral(live_server, people, client_id, page):
    keys = Keyboard(page)
    press, type_ = page.keyboard.press, page.keyboard.type
    page.goto(live_server + "/login")
    keys.tab_to("^E-mail")
    type_(people.emails["coord_a"])
    keys.tab_to("^Password")
    type_(PASSWORD)
    press("Enter")
    page.wait_for_url(re.compile(r"/$"))

    # Search, and pick a program from the results.
    keys.tab_to("^What do you need")
    type_("pantry")
    press("Enter")
    page.wait_for_url(re.compile(r"q=pantry"))
    picked = keys.tab_to("^Pick for referral: Hilltop Food Pantry")
    assert picked["tag"] == "button"
    with page.expect_navigation():  # back to the same results, now with the pick
        press("Enter")
    keys.tab_to(r"^Picked \(1\)")
    press("Enter")
    page.wait_for_url(re.compile(r"/picks$"))

    # Refer the client to the picked program, with consent.
    keys.tab_to("^Client$")
    type_("Bartholomew")  # a closed drop-down picks by typing, as people do
    keys.tab_to("^Need$")
    type_("Food")
    keys.tab_to("^The client consents")
    press("Space")
    keys.tab_to("^Refer to all picked programs")
    press("Enter")
    page.wait_for_url(re.compile(r"/picks\?client="))

    assert "1 referral made." in page.get_by_role("status").first.inner_text()
    page.goto(live_server + "/referrals")
    row = page.locator("table.list tbody tr", has_text="Hilltop Food Pantry")
    assert "Bartholomew Nakashima" in row.inner_text()
    assert keys.unseen == [], "focus not visible at: " + "; ".join(keys.unseen)
