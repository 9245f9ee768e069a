"""A coordinator who uses only the keyboard signs in, finds help for a client and refers
them: every step is reached with Tab and used with Enter or Space, and every stop on the way
shows where the focus is (issue 10, accessibility)."""

import re

import pytest

from resdir.extensions import db
from resdir.matching.operations import create_client
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

FOCUSED = """() => {
  const e = document.activeElement, style = getComputedStyle(e);
  const label = e.labels && e.labels.length ? e.labels[0].innerText
              : (e.getAttribute('aria-label') || e.innerText || e.value || '');
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
    press = page.keyboard.press
    page.goto(live_server + "/login")
    keys.tab_to("^E-mail")
    page.keyboard.type(people.emails["coord_a"])
    keys.tab_to("^Password")
    page.keyboard.type(PASSWORD)
    press("Enter")
    page.wait_for_url(re.compile(r"/$"))

    keys.tab_to("^Clients$")
    press("Enter")
    page.wait_for_url(re.compile(r"/clients$"))
    keys.tab_to("Bartholomew Nakashima")
    press("Enter")
    page.wait_for_url(re.compile(r"/clients/[0-9a-f-]+$"))

    keys.tab_to("^Add words")
    page.keyboard.type("pantry")
    press("Enter")
    page.wait_for_url(re.compile(r"words=pantry"))
    picked = keys.tab_to("^Pick Hilltop Food Pantry")
    assert picked["tag"] == "input"
    press("Space")
    keys.tab_to("^The client consents")
    press("Space")
    keys.tab_to("^Refer$")
    press("Enter")
    page.wait_for_url(re.compile(r"/referrals$"))

    assert "1 referral made." in page.get_by_role("status").first.inner_text()
    assert "Hilltop Food Pantry" in page.locator("table.list").inner_text()
    assert keys.unseen == [], "focus not visible at: " + "; ".join(keys.unseen)
