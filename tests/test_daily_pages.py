"""Issue 10's defects on the coordinator's and agency's pages, through the Flask client."""

import re

import pytest

from resdir.directory import models as m
from resdir.extensions import db
from resdir.referrals.models import Referral


@pytest.fixture
def coord(app, people):
    return people.login(app.test_client(), "coord_a")


@pytest.fixture
def agency(app, people):
    return people.login(app.test_client(), "agency_a")


def _client(client, csrf_token, **facts):
    response = client.post("/clients/new", data={
        "csrf_token": csrf_token(client, "/clients/new"), "name": "Ines Marrow",
        "zip": "15213", "need": "food-insecurity", **facts})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[1]


def _pantry(app):
    with app.app_context():
        return db.session.query(m.Service.id).filter_by(name="Hilltop Food Pantry").scalar()


def _refer(client, csrf_token, client_id, service_id, **extra):
    return client.post("/referrals", data={
        "csrf_token": csrf_token(client, f"/clients/{client_id}"), "client_id": client_id,
        "pick": f"food-insecurity:{service_id}", "consent_method": "verbal",
        "consent_scope": "Name and need", **extra})


def _referral_of(app, client_id):
    with app.app_context():
        return db.session.query(Referral).filter_by(client_id=client_id).order_by(
            Referral.created_at.desc()).first().id


def test_screening_summary_shows_the_answers_in_words(coord, csrf_token):
    client_id = _client(coord, csrf_token)
    coord.post(f"/clients/{client_id}/screening", data={
        "csrf_token": csrf_token(coord, f"/clients/{client_id}/screening"),
        "living_situation": "worried", "food_worry": "often", "utilities": "no"})
    page = coord.get(f"/clients/{client_id}").get_data(as_text=True)
    summary = re.search(r'<ul class="screening-summary">(.*?)</ul>', page, re.S).group(1)
    assert "worried about losing it in the future" in summary
    assert "Worried that food would run out" in summary and "Often true" in summary
    assert "Living situation" in summary
    # No blank answers and no field names.
    assert "living_situation" not in summary and "food_worry" not in summary
    assert ": ;" not in summary and ": <" not in summary


def test_a_draft_can_get_consent_and_be_sent_and_does_not_block_a_new_referral(
        app, coord, agency, csrf_token):
    client_id = _client(coord, csrf_token)
    pantry = _pantry(app)
    made = _refer(coord, csrf_token, client_id, pantry)  # no consent: a draft
    assert made.status_code == 303
    draft = _referral_of(app, client_id)
    # A draft is not an open referral: a new one needs no duplicate confirmation.
    again = _refer(coord, csrf_token, client_id, pantry, consent="yes")
    follow = coord.get(again.headers["Location"]).get_data(as_text=True)
    assert "1 referral made." in follow and "open referral" not in follow
    # The draft page records consent and sends, in one step.
    page = coord.get(f"/referrals/{draft}").get_data(as_text=True)
    assert f'action="/referrals/{draft}/send"' in page
    assert 'id="consent"' in page
    with app.app_context():
        version = db.session.get(Referral, draft).version
    sent = coord.post(f"/referrals/{draft}/send", data={
        "csrf_token": csrf_token(coord, f"/referrals/{draft}"), "version": version,
        "consent": "yes", "consent_method": "written", "consent_scope": "Name and need"})
    assert sent.status_code == 303
    with app.app_context():
        assert db.session.get(Referral, draft).status == "requested"
    assert agency.get(f"/referrals/{draft}").status_code == 200


def test_duplicate_and_partial_referrals_warn_in_plain_words_naming_the_program(
        app, coord, csrf_token):
    client_id = _client(coord, csrf_token)
    pantry = _pantry(app)
    with app.app_context():
        rent = db.session.query(m.Service.id).filter_by(name="Emergency Rent Assistance").scalar()
    _refer(coord, csrf_token, client_id, pantry, consent="yes")
    response = coord.post("/referrals", data={
        "csrf_token": csrf_token(coord, f"/clients/{client_id}"), "client_id": client_id,
        "pick": [f"food-insecurity:{pantry}", f"food-insecurity:{rent}"], "consent": "yes",
        "consent_method": "verbal", "consent_scope": "Name and need"})
    page = coord.get(response.headers["Location"]).get_data(as_text=True)
    warning = re.search(r'<p class="flash warning" role="alert">(.*?)</p>', page, re.S)
    assert warning, page
    text = warning.group(1)
    assert "1 of 2 referrals made" in text and "Hilltop Food Pantry" in text
    assert "confirm_duplicate" not in text and "true" not in text


def test_status_form_preselects_nothing_and_hides_agency_fields_from_the_coordinator(
        app, coord, agency, csrf_token):
    client_id = _client(coord, csrf_token)
    _refer(coord, csrf_token, client_id, _pantry(app), consent="yes")
    referral = _referral_of(app, client_id)
    for who in (coord, agency):
        page = who.get(f"/referrals/{referral}").get_data(as_text=True)
        select = re.search(r'<select id="new-status".*?</select>', page, re.S).group(0)
        chosen = re.findall(r'<option value="([^"]*)" selected', select)
        assert chosen == [""], chosen  # "Choose...", not a status
    with app.app_context():
        version = db.session.get(Referral, referral).version
    agency.post(f"/referrals/{referral}/status", data={
        "csrf_token": csrf_token(agency, f"/referrals/{referral}"), "status": "accepted",
        "version": version})
    # Once accepted, the agency records the outcome; the coordinator never does.
    assert 'id="enrollment"' in agency.get(f"/referrals/{referral}").get_data(as_text=True)
    coord_page = coord.get(f"/referrals/{referral}").get_data(as_text=True)
    assert 'id="enrollment"' not in coord_page and "What was provided" not in coord_page


def test_lists_show_names_not_codes_or_ids(app, coord, csrf_token):
    client_id = _client(coord, csrf_token)
    _refer(coord, csrf_token, client_id, _pantry(app), consent="yes")
    clients = coord.get("/clients").get_data(as_text=True)
    assert "Food Insecurity" in clients and "food-insecurity" not in clients
    page = coord.get("/referrals").get_data(as_text=True)
    assert "Agency id" not in page and "Agency name" in page
    assert "Hilltop Food Pantry" in coord.get("/referrals?agency=hilltop").get_data(as_text=True)
    assert "Hilltop Food Pantry" not in coord.get("/referrals?agency=three+rivers").get_data(
        as_text=True)


def test_referral_page_links_the_client_and_the_program(app, coord, csrf_token):
    client_id = _client(coord, csrf_token)
    pantry = _pantry(app)
    _refer(coord, csrf_token, client_id, pantry, consent="yes")
    page = coord.get(f"/referrals/{_referral_of(app, client_id)}").get_data(as_text=True)
    assert f'href="/programs/{pantry}"' in page
    assert f'href="/clients/{client_id}"' in page


def test_unknown_zip_is_said_in_plain_words(client, mini):
    page = client.get("/?zip=99999").get_data(as_text=True)
    assert "We don&#39;t know ZIP 99999. Check it" in page
    assert "gazetteer" not in page


def test_an_unsent_email_is_shown_to_the_person_who_acted(app, coord, csrf_token):
    closed_port = 9  # discard: nothing listens there on this machine
    app.config.update(RESDIR_MAIL_ENABLED=True, RESDIR_SMTP_HOST="127.0.0.1",
                      RESDIR_SMTP_PORT=closed_port)
    client_id = _client(coord, csrf_token)
    response = _refer(coord, csrf_token, client_id, _pantry(app), consent="yes")
    page = coord.get(response.headers["Location"]).get_data(as_text=True)
    assert "could not be sent" in page and "New referral" in page


def test_mail_folder_keeps_messages_as_files(app, tmp_path, coord, csrf_token):
    import email

    app.config.update(RESDIR_MAIL_ENABLED=True, RESDIR_MAIL_FOLDER=str(tmp_path / "mail"),
                      RESDIR_SMTP_PORT=9)
    client_id = _client(coord, csrf_token)
    response = _refer(coord, csrf_token, client_id, _pantry(app), consent="yes")
    page = coord.get(response.headers["Location"]).get_data(as_text=True)
    assert "could not be sent" not in page
    (written,) = (tmp_path / "mail").glob("*.eml")
    message = email.message_from_bytes(written.read_bytes())
    assert message["To"] == "staff@pantry.example" and "Ines" not in written.read_text()


def test_make_run_writes_mail_to_a_folder_by_default():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "RESDIR_MAIL_FOLDER=$${RESDIR_MAIL_FOLDER-instance/mail}" in run


def test_invite_without_organization_reads_as_english(app, people, csrf_token):
    admin = people.login(app.test_client(), "admin")
    response = admin.post("/admin/users", data={
        "csrf_token": csrf_token(admin, "/admin/users"), "email": "new@agency.example",
        "role": "agency"})
    page = response.get_data(as_text=True)
    assert "An agency user needs an organization" in page
    assert "A agency" not in page and "--organization" not in page


@pytest.mark.parametrize("day", ["Mo", "mo", "mon", "Monday"])
def test_open_day_takes_the_hours_day_names(client, mini, day):
    response = client.get(f"/api/v1/search?open_day={day}&open_time=10:00")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["total"] >= 1


def test_open_day_error_names_the_days_as_hours_write_them(client, mini):
    error = client.get("/api/v1/search?open_day=xx").get_json()["error"]
    assert error["parameter"] == "open_day" and "Mo, Tu, We" in error["message"]


def test_snippets_are_whole_sentences(client, make_service):
    make_service("Pantry", description=(
        "Groceries every week for families in the neighborhood, with fresh produce from local "
        "farms when the season allows it and shelf-stable staples all year round. Bring a "
        "bag. Help with SNAP applications on Tuesdays, by appointment with our benefits "
        "counselor, who also helps with WIC and utility assistance forms."))
    result = client.get("/api/v1/search?q=snap").get_json()["results"][0]
    assert result["snippet"].startswith("Help with SNAP applications")
    assert result["snippet"].endswith("assistance forms.")
    plain = client.get("/api/v1/search?category=food").get_json()["results"][0]["snippet"]
    assert plain.endswith("Bring a bag.")  # stops at a sentence, not mid-word


def test_favicon_is_served(client):
    response = client.get("/favicon.ico", follow_redirects=True)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    response.close()
    assert 'rel="icon"' in client.get("/").get_data(as_text=True)


def test_client_languages_are_picked_by_name(app, coord, csrf_token):
    from resdir.matching.models import Client

    client_id = _client(coord, csrf_token, languages=["es"],
                        languages_other="Nepali, Haitian Creole")
    with app.app_context():
        assert db.session.get(Client, client_id).facts["languages"] == ["es", "ne", "ht"]
    page = coord.get(f"/clients/{client_id}").get_data(as_text=True)
    assert re.search(r'id="lang-es" name="languages" value="es" checked', page)
    assert re.search(r'id="lang-ne" name="languages" value="ne" checked', page)
    assert 'id="languages_other" name="languages_other" size="30" value="Haitian Creole"' in page
    refused = coord.post("/clients/new", data={
        "csrf_token": csrf_token(coord, "/clients/new"), "name": "X", "zip": "15213",
        "languages_other": "Klingonese"})
    assert refused.status_code == 400
    assert "We don&#39;t know the language &#39;Klingonese&#39;" in refused.get_data(as_text=True)
