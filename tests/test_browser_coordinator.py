"""The coordinator's journey in real headless Chromium (issue 10, "Done when"): add a client
with contact details, screen them, search and pick two programs, refer both for the client
in one step, and e-mail the client one hand-out through a real SMTP server (aiosmtpd).

Clicks are counted by tests/journeys.py (links, buttons, boxes, list choices; typing is
not a click) and listed after `make test`. A failure leaves a screenshot in test-artifacts/.
"""

import re
from urllib.parse import urlsplit

import pytest

from tests.journeys import Journey

pytestmark = pytest.mark.browser
PROGRAMS = ("Hilltop Food Pantry", "Emergency Rent Assistance")
# 2 sign in, 5 client, 3 screening, 5 search and pick, 6 refer, 1 hand-out, 1 the list.
CLICKS = 23


def test_coordinator_client_screening_pick_refer_handout(live_server, people, page, mailbox,
                                                         request):
    walk = Journey(page, live_server, request)
    click, choose = walk.click, walk.choose
    walk.open("/")
    walk.sign_in(people.emails["coord_a"])

    # The client, with how to reach them and their agreement to e-mail.
    click(page.get_by_role("link", name="Clients"))
    click(page.get_by_role("link", name="Add a client"))
    page.get_by_label("Name", exact=True).fill("Solveig Amundsen-Okafor")
    page.get_by_label("ZIP code").fill("15219")
    page.get_by_label("Phone", exact=True).fill("412 555 0188")
    page.get_by_label("E-mail", exact=True).fill("solveig.ao@example.org")
    choose(page.get_by_label("Prefers"), "email")
    click(page.get_by_label("The client agrees to get e-mail"))
    click(page.get_by_role("button", name="Save and find help"))
    page.wait_for_url(re.compile(r"/clients/[0-9a-f-]+$"))
    # No client data in the address: the name, and the phone's digits in any spelling
    # (the path and query only: the server's port may hold any digits).
    address = urlsplit(page.url)
    assert "Solveig" not in address.path + address.query
    assert "4125550188" not in re.sub(r"\D", "", address.path + address.query)
    client_id = page.url.rsplit("/", 1)[1]

    # The screening: food worries make food insecurity a need.
    click(page.get_by_role("link", name="Screen for social needs"))
    click(page.locator("#food_worry-often"))
    click(page.get_by_role("button", name="Score and save"))
    page.wait_for_url(re.compile(r"/clients/[0-9a-f-]+$"))
    assert "Food Insecurity" in page.locator("details.need").first.inner_text()

    # Find and pick where the programs are found: search results and a program page.
    click(page.get_by_role("link", name="resdir", exact=True))
    page.get_by_label("What do you need?").fill("food")
    page.get_by_label("ZIP code").fill("15219")
    click(page.get_by_role("button", name="Search", exact=True))
    click(page.locator("li.result", has_text=PROGRAMS[0])
          .get_by_role("button", name=re.compile("Pick for referral")))
    page.wait_for_load_state()
    assert "1 picked" in page.get_by_role("status").first.inner_text()
    assert "q=food" in page.url  # back on the same results
    page.get_by_label("What do you need?").fill("rent")
    click(page.get_by_role("button", name="Search", exact=True))
    click(page.locator("li.result", has_text=PROGRAMS[1])
          .get_by_role("button", name=re.compile("Pick for referral")))
    page.wait_for_load_state()

    # Refer the client to both, for one need, with consent that covers contact.
    click(page.get_by_role("link", name="Picked (2)"))
    choose(page.get_by_label("Client", exact=True), client_id)
    choose(page.locator("#need"), "food-insecurity")
    click(page.get_by_label("The client consents to sharing"))
    click(page.get_by_label("including how to reach them"))
    click(page.get_by_role("button", name="Refer to all picked programs"))
    page.wait_for_load_state()
    assert "2 referrals made." in page.get_by_role("status").first.inner_text()

    # One hand-out for both, e-mailed: the client is still chosen, one click.
    click(page.get_by_role("button", name="E-mail the hand-out"))
    page.wait_for_load_state()
    assert "e-mailed to the client" in page.get_by_role("status").first.inner_text()
    # The agencies were told of their new referrals; the client got one hand-out.
    (message,) = [m for m in mailbox.messages if m["To"] == "solveig.ao@example.org"]
    assert "Solveig" not in message["Subject"]
    assert all(name in message.get_content() for name in PROGRAMS)

    # Both referrals are on "My referrals", sent.
    click(page.get_by_role("link", name="Referrals", exact=True))
    table = page.locator("table.list").inner_text()
    assert table.count("Sent (waiting for the agency)") == 2
    walk.record(at_most=CLICKS)
