"""Pickers on the listing form (issue 10, defect 8): hours as one row per day with an
optional second range, insurance as check boxes; the text forms stay for imports. The same
form serves agency staff and admins."""

import re

import pytest

from resdir.agencies.models import ChangeRecord
from resdir.directory import models as m
from resdir.extensions import db
from tests.conftest import PASSWORD
from tests.test_listing_save import form_of, sign_in_admin

PANTRY_HOURS = "Mo-Fr 09:00-12:00,13:00-17:00; Sa 10:00-14:00"


@pytest.fixture
def pantry(app, people):
    with app.app_context():
        return db.session.query(m.Service.id).filter_by(name="Hilltop Food Pantry").scalar()


def _edit(client, sid):
    page = client.get(f"/agency/programs/{sid}/edit").get_data(as_text=True)
    return page, form_of(page)


def _saved(app, sid):
    with app.app_context():
        return {c.field_name: c.replacement_value
                for c in db.session.query(ChangeRecord).filter_by(resource_id=sid)}


def test_hours_rows_and_insurance_boxes_save_only_what_changed(app, people, pantry):
    agency = people.login(app.test_client(), "agency_a")
    page, form = _edit(agency, pantry)
    assert form["hours_Mo_1_opens"] == "09:00" and form["hours_Mo_2_closes"] == "17:00"
    assert form["hours_Sa_1_closes"] == "14:00" and form["hours_Su_1_opens"] == ""
    assert 'id="insurance-medicaid"' in page
    form.update(hours_Sa_2_opens="15:00", hours_Sa_2_closes="16:30",
                insurance_medicaid="1", insurance_medicare="1")
    assert agency.post(f"/agency/programs/{pantry}/edit", data=form).status_code == 303
    assert _saved(app, pantry) == {"hours": PANTRY_HOURS + ",15:00-16:30",
                                   "insurance": "medicaid;medicare"}
    program = app.test_client().get(f"/api/v1/services/{pantry}").get_json()
    assert program["hours_text"] == PANTRY_HOURS + ",15:00-16:30"
    assert program["eligibility"]["insurance"] == ["medicaid", "medicare"]
    # Untick both: the rule is gone; the rows, untouched, do not write the hours again.
    page, form = _edit(agency, pantry)
    assert 'id="insurance-medicare" name="insurance_medicare" value="1" checked' in page
    form.pop("insurance_medicaid"), form.pop("insurance_medicare")
    assert agency.post(f"/agency/programs/{pantry}/edit", data=form).status_code == 303
    assert _saved(app, pantry)["insurance"] == ""
    with app.app_context():
        assert db.session.query(ChangeRecord).filter_by(field_name="hours").count() == 1


def test_a_half_filled_row_or_two_different_changes_are_refused_by_name(app, people, pantry):
    agency = people.login(app.test_client(), "agency_a")
    _, form = _edit(agency, pantry)
    half = agency.post(f"/agency/programs/{pantry}/edit",
                       data={**form, "hours_Su_1_opens": "11:00"})
    assert half.status_code == 400
    page = half.get_data(as_text=True)
    assert "give Sunday both an opening and a closing time" in page
    assert 'name="hours_Su_1_opens" value="11:00"' in page  # the user's row is kept
    both = agency.post(f"/agency/programs/{pantry}/edit", data={
        **form, "hours_Su_1_opens": "11:00", "hours_Su_1_closes": "15:00",
        "hours": "Mo 08:00-09:00"})
    assert both.status_code == 400
    assert "both in the table and as text" in both.get_data(as_text=True)
    # The text form still works on its own (imports' grammar), rows untouched.
    typed = agency.post(f"/agency/programs/{pantry}/edit", data={**form,
                                                                 "hours": "Su 12:00-15:00"})
    assert typed.status_code == 303
    assert _saved(app, pantry) == {"hours": "Su 12:00-15:00"}


def test_admin_gets_the_same_pickers_and_hours_rows_cannot_show_go_to_text(app, people,
                                                                            pantry):
    admin = sign_in_admin(app)
    _, form = _edit(admin, pantry)
    form.update(hours="Mo 08:00-09:00,10:00-11:00,12:00-13:00")
    assert admin.post(f"/agency/programs/{pantry}/edit", data=form).status_code == 303
    page, form = _edit(admin, pantry)
    assert "hours_Mo_1_opens" not in form and "hours_rows_seen" not in form
    assert "more than two ranges on a day" in page
    assert 'id="insurance-uninsured"' in page


@pytest.mark.browser
def test_agency_sets_a_second_range_and_insurance_in_chromium(live_server, people, page,
                                                               pantry):
    page.goto(live_server + "/login")
    page.get_by_label("E-mail").fill(people.emails["agency_a"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
    page.goto(f"{live_server}/agency/programs/{pantry}/edit")
    page.get_by_text("Add a second range on Saturday").click()
    page.get_by_label("Saturday opens again").fill("15:00")
    page.get_by_label("and closes").nth(5).fill("16:00")
    page.get_by_label("Medicaid").check()
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(re.compile(r"/agency/$"))
    assert "Saved 2 changes" in page.get_by_role("status").inner_text()
    page.goto(f"{live_server}/programs/{pantry}")
    saturday = page.locator("table.hours tr", has_text="Saturday").inner_text()
    assert "10 AM - 2 PM, 3 PM - 4 PM" in saturday
