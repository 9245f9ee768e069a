"""Server-rendered pages (the browser test drives the same pages in Chromium)."""

from datetime import datetime

from resdir.directory import models as m
from resdir.extensions import db


def test_search_page_without_a_query_shows_the_form(client, mini):
    page = client.get("/").get_data(as_text=True)
    assert 'name="q"' in page and 'name="zip"' in page
    assert "Find programs" in page
    assert "program" not in page.split('role="search"')[1].split("</form>")[1]  # no results


def test_search_page_lists_results_with_distance_badges_and_verification(client, mini):
    page = client.get("/?q=rent+help&zip=15213&radius_mi=5").get_data(as_text=True)
    assert "1 program within 5 miles of Pittsburgh, PA 15213" in page
    assert "Emergency Rent Assistance" in page
    assert "1.6 mi" in page
    assert "Waitlist" in page
    assert "This listing may be out of date" in page  # verified 2025-01-15
    assert "<mark>" in page


def test_search_page_shows_facet_counts(client, mini):
    page = client.get("/?q=shelter").get_data(as_text=True)
    assert 'Housing <span class="count">(2)</span>' in page


def test_confidential_address_never_shown(client, mini):
    page = client.get("/?q=shelter&zip=15206").get_data(as_text=True)
    assert "Domestic Violence Shelter" in page
    assert "1 Hidden Lane" not in page
    assert "Confidential location" in page


def test_bad_parameter_on_the_page_is_a_400_with_a_message(client, mini):
    response = client.get("/?zip=99999x")
    assert response.status_code == 400
    assert "is not a ZIP code. Enter its 5 digits" in response.get_data(as_text=True)


def test_program_page(app, client, mini):
    with app.app_context():
        sid = db.session.query(m.Service.id).filter_by(name="Hilltop Food Pantry").scalar()
    page = client.get(f"/programs/{sid}").get_data(as_text=True)
    assert "100 Centre Ave, Pittsburgh, PA 15219" in page
    assert "openstreetmap.org/directions?to=40.443%2C-79.985" in page
    assert "9 AM - noon, 1 PM - 5 PM" in page
    assert "English, Spanish" in page
    assert "412-555-0101" in page


def test_program_page_lists_today_first(app, mini):
    from resdir.directory import present

    with app.app_context():
        service = db.session.query(m.Service).filter_by(name="Hilltop Food Pantry").one()
        saturday = datetime(2026, 11, 28, 15, 0).astimezone()
        week = present.week_hours(service, saturday)
    assert week[0]["day"] == "Saturday" and week[0]["today"]
    assert week[0]["hours"] == "10 AM - 2 PM"
    assert week[1]["day"] == "Sunday" and week[1]["hours"] == "Closed"


def test_confidential_program_page_hides_the_address(app, client, mini):
    with app.app_context():
        sid = db.session.query(m.Service.id).filter_by(name="Domestic Violence Shelter").scalar()
    page = client.get(f"/programs/{sid}").get_data(as_text=True)
    assert "1 Hidden Lane" not in page and "directions" not in page
    assert "Women" in page


def test_unknown_program_page_is_404_html(client, mini):
    response = client.get("/programs/nope")
    assert response.status_code == 404
    assert "No program has the id" in response.get_data(as_text=True)
