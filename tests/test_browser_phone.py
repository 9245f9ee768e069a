"""Every page fits a phone (320-390 px) without sideways scrolling, signed in or not
(issue 10, defect 9: the header, /referrals and /agency/ overflowed at 390 px)."""

import re

import pyotp
import pytest

from resdir.directory import models as m
from resdir.extensions import db
from resdir.matching.operations import create_client
from resdir.referrals.operations import create_referral
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
WIDTHS = (320, 390)


@pytest.fixture
def paths(app, people):
    """A client and a referral to look at, and the pages each role sees in a day."""
    from resdir.auth.models import User

    with app.app_context():
        coord = db.session.get(User, people.ids["coord_a"])
        pantry = db.session.query(m.Service.id).filter_by(name="Hilltop Food Pantry").scalar()
        client = create_client(coord, {"name": "Oriane Dubsky-Weatherstone", "zip": "15213",
                                       "needs": ["food-insecurity", "housing-instability"]})
        referral = create_referral(coord, {
            "client_id": client.id, "service_id": pantry, "need": "food-insecurity",
            "consent": {"given": True, "method": "verbal", "scope": "Name, age and ZIP"},
            "note": "Prefers afternoon calls; works mornings at the laundromat downtown"})
        ids = {"client": client.id, "referral": referral.id, "pantry": pantry}
    public = ["/", "/?q=food&zip=15213", f"/programs/{ids['pantry']}", "/login"]
    return {
        "anon": public,
        "coord_a": public + [
            "/clients", "/clients/new", f"/clients/{ids['client']}",
            f"/clients/{ids['client']}/screening", "/referrals",
            f"/referrals/{ids['referral']}", f"/referrals/{ids['referral']}/handout",
            "/reports/referrals", "/needs", "/picks", "/picks/handout"],
        "agency_a": ["/", "/agency/", f"/agency/programs/{ids['pantry']}/edit",
                     f"/agency/programs/{ids['pantry']}/history", "/referrals",
                     f"/referrals/{ids['referral']}", "/reports/referrals"],
        "admin": ["/", "/admin/users", "/admin/audit", "/admin/import", "/referrals",
                  "/agency/", "/needs"],
    }


def sign_in_as(page, base, people, who):
    if who == "anon":
        return
    page.goto(base + "/login")
    page.get_by_label("E-mail").fill(people.emails[who])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if who == "admin":
        page.wait_for_url(re.compile(r"/second-factor"))
        page.get_by_label(re.compile("code", re.I)).fill(pyotp.TOTP(people.totp).now())
        page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/$"))


@pytest.mark.parametrize("who", ["anon", "coord_a", "agency_a", "admin"])
def test_every_page_fits_a_phone(live_server, people, paths, browser, who):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    sign_in_as(page, live_server, people, who)
    if who == "coord_a":  # /picks and its hand-out with a program on them
        page.goto(live_server + paths["anon"][2])
        page.get_by_role("button", name=re.compile("Pick for referral")).click()
        page.wait_for_load_state()
    too_wide = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        for path in paths[who]:
            response = page.goto(live_server + path)
            assert response.status == 200, (path, response.status)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                too_wide[f"{path} at {width}"] = scroll
    # "Sign out" is on screen, not clipped.
    if who != "anon":
        box = page.get_by_role("button", name="Sign out").bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= WIDTHS[-1]
    context.close()
    assert too_wide == {}, too_wide
