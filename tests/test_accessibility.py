"""Every page passes axe-core (the accessibility engine browsers' own tools use) with no
serious or critical violation, for each role, in real headless Chromium (issue 10,
accessibility). Each page is visited once and checked once."""

import re

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe

from resdir.auth import operations as auth
from resdir.extensions import db
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
AXE = Axe()
BLOCKING = ("serious", "critical")


@pytest.fixture
def pages(app, people):
    """The pages each role sees, with a client, a referral and a set-password link to show."""
    pantry, c, r = people.refer_to_pantry("Wilhelmina Oyelaran")
    org = people.pantry_org
    with app.app_context():
        newcomer = auth.create_user("new.person@clinic-a.example", "coordinator",
                                    "Northside Clinic")
        setup = auth.setup_link_token(newcomer)
        db.session.commit()
    public = ["/", "/?q=food&zip=15213", "/?zip=99999", f"/programs/{pantry}", "/login",
              f"/set-password/{setup}", "/programs/no-such-program"]
    return {
        "public": public,
        "coordinator": ["/", "/?q=food&zip=15213", f"/programs/{pantry}", "/picks",
                        "/picks/handout", "/clients",
                        "/clients/new", f"/clients/{c}", f"/clients/{c}/screening", "/needs",
                        "/referrals", f"/referrals/{r}", f"/referrals/{r}/handout",
                        "/reports/referrals", "/account/second-factor"],
        "agency": ["/agency/", f"/agency/programs/{pantry}/edit",
                   f"/agency/programs/{pantry}/history", "/referrals", f"/referrals/{r}",
                   "/reports/referrals"],
        "admin": ["/admin/users", "/admin/directory/", "/admin/directory/programs",
                  f"/admin/directory/organizations/{org}", "/admin/audit", "/admin/import",
                  "/categories/review",
                  "/categories/crosswalk", "/agency/", "/needs", "/referrals",
                  "/reports/referrals"],
    }


def blocking_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page, one line each."""
    found = AXE.run(page).response["violations"]
    return [f"{page.url}: {v['id']} ({v['impact']}): {v['help']} at "
            + "; ".join(", ".join(node["target"]) for node in v["nodes"][:3])
            for v in found if v["impact"] in BLOCKING]


WHO = {"coordinator": "coord_a", "agency": "agency_a", "admin": "admin"}


@pytest.mark.parametrize("role", ["public", "coordinator", "agency", "admin"])
def test_every_page_has_no_serious_accessibility_violation(live_server, people, pages, page,
                                                           role):
    problems = []
    if role != "public":
        page.goto(live_server + "/login")
        page.get_by_label("E-mail").fill(people.emails[WHO[role]])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        if role == "admin":
            page.wait_for_url(re.compile(r"/second-factor"))
            problems += blocking_violations(page)  # the second-factor page, checked once
            page.get_by_label(re.compile("code", re.I)).fill(pyotp.TOTP(people.totp).now())
            page.get_by_role("button", name="Continue").click()
        page.wait_for_url(re.compile(r"/$"))
    for path in pages[role]:
        if path == "/picks":  # a picked program, so the list and the hand-out show one
            page.get_by_role("button", name=re.compile("^Pick for referral")).first.click()
            page.wait_for_load_state()
        response = page.goto(live_server + path)
        assert response.status in (200, 400, 404), (path, response.status)
        problems += blocking_violations(page)
    assert problems == [], "\n".join(problems)
