"""The agency portal: edit, confirm, history and revert, suggestions, verification mail."""

from datetime import date, timedelta

from resdir.agencies.models import ChangeRecord
from resdir.directory import models as m
from resdir.extensions import db
from resdir.search import SearchRequest


def pantry_id(app):
    with app.app_context():
        return db.session.query(m.Service.id).filter_by(name="Hilltop Food Pantry").scalar()


def edit_form(client, sid, csrf_token, **changes):
    token = csrf_token(client, f"/agency/programs/{sid}/edit")
    page = client.get(f"/agency/programs/{sid}/edit").get_data(as_text=True)
    import re

    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    fields = dict(re.findall(r'<input id="(\w+)" name="\w+" value="([^"]*)"', page))
    for name in ("program_description", "application_process", "eligibility_description"):
        fields[name] = re.search(rf'name="{name}"[^>]*>([^<]*)</textarea>', page).group(1)
    fields.update(status="active", csrf_token=token, version=version, **changes)
    return client.post(f"/agency/programs/{sid}/edit", data=fields)


def test_agency_edits_hours_and_capacity_and_search_sees_it(app, people, csrf_token):
    client = people.login(app.test_client(), "agency_a")
    sid = pantry_id(app)
    response = edit_form(client, sid, csrf_token, hours="Su 12:00-15:00",
                         capacity_status="waitlist", capacity_available="0")
    assert response.status_code == 303, response.get_data(as_text=True)[-600:]
    open_sunday = app.test_client().get(
        "/api/v1/search?q=pantry&open_day=sun&open_time=13:00").get_json()
    assert [r["name"] for r in open_sunday["results"]] == ["Hilltop Food Pantry"]
    assert open_sunday["results"][0]["capacity"] == "waitlist"
    with app.app_context():
        fields = {c.field_name: (c.previous_value, c.replacement_value)
                  for c in db.session.query(ChangeRecord).filter_by(resource_id=sid)}
    assert fields["hours"] == ("Mo-Fr 09:00-12:00,13:00-17:00; Sa 10:00-14:00", "Su 12:00-15:00")
    assert fields["capacity_status"] == ("capacity", "waitlist")
    assert set(fields) == {"hours", "capacity_status", "capacity_available"}


def test_bad_edit_says_which_field_and_changes_nothing(app, people, csrf_token):
    client = people.login(app.test_client(), "agency_a")
    sid = pantry_id(app)
    response = edit_form(client, sid, csrf_token, hours="Mo 9-5", min_age="old")
    assert response.status_code == 400
    assert "hours: &#39;9-5&#39; is not a span" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(ChangeRecord).count() == 0


def test_another_agencys_listing_is_not_found(app, people, csrf_token):
    client = people.login(app.test_client(), "agency_b")
    assert client.get(f"/agency/programs/{pantry_id(app)}/edit").status_code == 404


def test_confirm_sets_the_verification_date(app, people, csrf_token):
    client = people.login(app.test_client(), "agency_a")
    sid = pantry_id(app)
    token = csrf_token(client, "/agency/")
    client.post(f"/agency/programs/{sid}/confirm", data={"csrf_token": token})
    with app.app_context():
        service = db.session.get(m.Service, sid)
        assert service.assured_date == date.today()
        assert service.assurer_email == people.emails["agency_a"]


def test_admin_sees_history_and_reverts_a_change(app, people, csrf_token):
    agency = people.login(app.test_client(), "agency_a")
    sid = pantry_id(app)
    edit_form(agency, sid, csrf_token, fees="$2 per visit")
    admin = people.login(app.test_client(), "admin")
    page = admin.get(f"/agency/programs/{sid}/history").get_data(as_text=True)
    assert "$2 per visit" in page
    with app.app_context():
        change = db.session.query(ChangeRecord).filter_by(field_name="fees").one()
    token = csrf_token(admin, f"/agency/programs/{sid}/history")
    admin.post(f"/agency/changes/{change.id}/revert", data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(m.Service, sid).fees_description is None
        revert = db.session.query(ChangeRecord).filter_by(reverts=change.id).one()
        assert revert.replacement_value == ""
    token = csrf_token(agency, "/agency/")
    refused = agency.post(f"/agency/changes/{change.id}/revert", data={"csrf_token": token})
    assert refused.status_code == 403


def test_coordinator_suggestion_reaches_the_agency(app, people, csrf_token):
    coord = people.login(app.test_client(), "coord_a")
    sid = pantry_id(app)
    token = csrf_token(coord, f"/programs/{sid}")
    coord.post(f"/programs/{sid}/suggest", data={"kind": "problem",
                                                "text": "Phone number is disconnected",
                                                "csrf_token": token})
    agency = people.login(app.test_client(), "agency_a")
    assert "Phone number is disconnected" in agency.get("/agency/").get_data(as_text=True)
    other = people.login(app.test_client(), "agency_b")
    assert "Phone number is disconnected" not in other.get("/agency/").get_data(as_text=True)


def test_stale_listings_are_flagged_and_mailed_once_a_week(app, people, mailbox, runner):
    with app.app_context():
        service = db.session.get(m.Service, pantry_id(app))
        service.assured_date = date.today() - timedelta(days=400)
        db.session.commit()
    assert "sent" in runner.invoke(args=["resdir", "send-verification-requests"]).output
    again = runner.invoke(args=["resdir", "send-verification-requests"]).output
    assert "sent 0 verification" in again
    to_pantry = [msg for msg in mailbox.messages if msg["To"] == "staff@pantry.example"]
    assert len(to_pantry) == 1 and "Hilltop Food Pantry" in to_pantry[0].get_content()
    with app.app_context():
        from resdir.directory.indexing import search_index

        result = search_index().search(SearchRequest(text="pantry"))
    assert result.total >= 1  # still listed; the page flags it as possibly out of date
