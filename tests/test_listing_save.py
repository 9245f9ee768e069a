"""A listing save changes exactly the fields the user changed (issue 10, defect 1).

The edit form and `PATCH /api/v1/services/<id>` used to round-trip the whole listing through
the directory CSV's text form and re-apply every cell, so a save of the hours set the
location's name to NULL and rounded its coordinates to 6 significant digits.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pyotp
import pytest

from resdir.agencies.models import ChangeRecord
from resdir.basics import ROOT
from resdir.directory import indexing, operations
from resdir.directory import models as m
from resdir.extensions import db
from tests.conftest import PASSWORD, _csrf

SEED = ROOT / "data" / "seed_resources.csv"
STAMPS = ("version", "last_modified")


class _Form(HTMLParser):
    """The fields of the page's POST form that posts to the page itself (no `action`), as a
    browser submits them untouched:
    text inputs and hidden inputs as shown, ticked check boxes only, the selected option
    (or the first), and textareas with their lines ended by CRLF."""

    def __init__(self, action: str | None = None):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.fields: list[tuple[str, str]] = []
        self.inside = False
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method") == "post" and a.get("action") == self.action:
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value", "on")))
            elif kind not in ("submit", "button"):
                self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self.select, self.options = a.get("name"), []
        elif tag == "option" and self.select:
            self.options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self.textarea, self.text = a.get("name"), ""

    def handle_data(self, data):
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            chosen = [v for v, on in self.options if on] or [v for v, _ in self.options[:1]]
            self.fields += [(self.select, v) for v in chosen]
            self.select = None
        elif tag == "textarea" and self.textarea:
            text = self.text[1:] if self.text.startswith("\n") else self.text
            self.fields.append((self.textarea, text.replace("\n", "\r\n")))
            self.textarea = None


def form_of(page: str, action: str | None = None) -> dict[str, str]:
    """The form posting to `action` (None: to the page itself), as a browser sends it."""
    parser = _Form(action)
    parser.feed(page)
    return dict(parser.fields)


def edit_page(client, sid: str) -> dict[str, str]:
    response = client.get(f"/agency/programs/{sid}/edit")
    assert response.status_code == 200
    return form_of(response.get_data(as_text=True))


def save(client, sid: str, fields: dict[str, str], **changes):
    return client.post(f"/agency/programs/{sid}/edit", data={**fields, **changes})


def api_json(client, sid: str) -> dict:
    body = client.get(f"/api/v1/services/{sid}").get_json()
    return {k: v for k, v in body.items() if k not in STAMPS}


def sign_in_admin(app):
    """An admin (the only role that may edit every listing), signed in with both factors."""
    from resdir.auth import operations as auth

    with app.app_context():
        admin = auth.create_user("editor@resdir.example", "admin", password=PASSWORD)
        admin.totp_secret = secret = pyotp.random_base32()
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": "editor@resdir.example", "password": PASSWORD,
                                "csrf_token": _csrf(client, "/login")})
    done = client.post("/login/second-factor", data={
        "code": pyotp.TOTP(secret).now(), "csrf_token": _csrf(client, "/login/second-factor")})
    assert done.status_code == 302
    return client


@pytest.fixture
def seeded(app):
    with app.app_context():
        operations.import_csv(SEED)
    return app


def every_service_json(app) -> dict[str, dict]:
    """What `GET /api/v1/services/<id>` answers for every program (the same function, read
    in one pass: 460 API calls took half of this test's time)."""
    from sqlalchemy.orm import selectinload

    from resdir.directory.documents import LOAD_ALL
    from resdir.directory.present import service_json

    with app.app_context():
        services = db.session.scalars(db.select(m.Service).options(
            *LOAD_ALL, selectinload(m.Service.eligibility), selectinload(m.Service.phones),
            selectinload(m.Service.service_areas), selectinload(m.Service.required_documents),
            selectinload(m.Service.cost_options)))
        return {s.id: {k: v for k, v in service_json(s).items() if k not in STAMPS}
                for s in services}


def test_saving_the_untouched_form_of_every_seed_program_changes_nothing(seeded):
    admin = sign_in_admin(seeded)
    before = every_service_json(seeded)
    assert len(before) == 460
    some = next(iter(before))
    assert api_json(seeded.test_client(), some) == before[some]  # the API's very answer
    for sid in sorted(before):
        response = save(admin, sid, edit_page(admin, sid))
        assert response.status_code == 303, (sid, _alert(response))
    after = every_service_json(seeded)
    for sid in sorted(before):
        assert after[sid] == before[sid], sid
    with seeded.app_context():
        assert db.session.query(ChangeRecord).count() == 0


def test_an_hours_save_keeps_the_place_name_and_exact_coordinates(seeded):
    admin = sign_in_admin(seeded)
    with seeded.app_context():
        sid = db.session.scalar(db.select(m.Service.id).filter_by(source_key="csv:prg-0420"))
    before = api_json(seeded.test_client(), sid)
    assert before["locations"][0]["name"] == "McKeesport Welcome Center"
    assert before["locations"][0]["latitude"] == 40.355343
    response = save(admin, sid, edit_page(admin, sid), hours="We 15:00-19:00")
    assert response.status_code == 303
    after = api_json(seeded.test_client(), sid)
    assert after["hours_text"] == "We 15:00-19:00"
    assert {**after, "hours_text": None, "schedules": None} == {
        **before, "hours_text": None, "schedules": None}
    with seeded.app_context():
        assert [c.field_name for c in db.session.query(ChangeRecord)] == ["hours"]
        # The other program at the same place kept its name too.
        other = db.session.scalar(db.select(m.Service).filter_by(source_key="csv:prg-0419"))
        assert other.locations[0].name == "McKeesport Welcome Center"


def test_what_the_form_does_not_show_survives_a_save(app, make_service):
    """Rows the text form cannot express (an imported phone's extension, a second phone, a
    language's name, a non-weekly schedule, a dated closure) are kept by a save of other
    fields and by a save of the very field that shows part of them."""
    from datetime import date, time

    sid = make_service("Imported Program", hours=[("MO", time(9), time(17))])
    with app.app_context():
        service = db.session.get(m.Service, sid)
        service.phones = [m.Phone(number="412-555-0100", extension="21", type="voice"),
                          m.Phone(number="412-555-0101", type="fax")]
        service.languages[0].name = "English (and ASL on request)"
        service.schedules.append(m.Schedule(freq="MONTHLY", byday="1SA", opens_at=time(10),
                                            closes_at=time(12), position=50))
        service.schedules.append(m.Schedule(closed=True, valid_from=date(2026, 12, 25),
                                            valid_to=date(2026, 12, 25), position=100))
        service.locations[0].name = "Annex"
        indexing.commit()
    admin = sign_in_admin(app)
    assert save(admin, sid, edit_page(admin, sid), fees="Free").status_code == 303
    assert save(admin, sid, edit_page(admin, sid), hours="Tu 08:00-12:00",
                phone="412-555-0199").status_code == 303
    with app.app_context():
        service = db.session.get(m.Service, sid)
        assert sorted((p.number, p.extension, p.type) for p in service.phones) == [
            ("412-555-0101", None, "fax"), ("412-555-0199", "21", "voice")]
        assert service.languages[0].name == "English (and ASL on request)"
        kept = sorted(((s.freq, s.byday, s.closed, s.valid_from) for s in service.schedules),
                      key=repr)
        assert kept == sorted([(None, None, True, date(2026, 12, 25)),
                               ("MONTHLY", "1SA", False, None), ("WEEKLY", "TU", False, None)],
                              key=repr)
        assert service.locations[0].name == "Annex"
        assert service.fees_description == "Free"


def test_the_place_name_is_on_the_form_and_its_change_is_in_the_history(seeded):
    admin = sign_in_admin(seeded)
    with seeded.app_context():
        sid = db.session.scalar(db.select(m.Service.id).filter_by(source_key="csv:prg-0420"))
    fields = edit_page(admin, sid)
    assert fields["location_name"] == "McKeesport Welcome Center"
    assert save(admin, sid, fields, location_name="Welcome Center").status_code == 303
    assert api_json(seeded.test_client(), sid)["locations"][0]["name"] == "Welcome Center"
    with seeded.app_context():
        change = db.session.query(ChangeRecord).one()
        assert (change.field_name, change.previous_value, change.replacement_value) == (
            "location_name", "McKeesport Welcome Center", "Welcome Center")


def test_patch_changes_only_the_fields_sent(seeded):
    from resdir.auth import operations as auth

    with seeded.app_context():
        service = db.session.scalar(db.select(m.Service).filter_by(source_key="csv:prg-0001"))
        sid = service.id
        service.capacity_available, service.capacity_maximum = 3, 10
        indexing.commit()
        admin = auth.create_user("api@resdir.example", "admin", password=PASSWORD)
        headers = {"Authorization": f"Bearer {auth.create_api_token(admin)}"}
    api = seeded.test_client()
    before = api_json(api, sid)
    version = api.get(f"/api/v1/services/{sid}").get_json()["version"]
    done = api.patch(f"/api/v1/services/{sid}", headers=headers, json={
        "capacity_status": "waitlist", "languages": ["en", "es"], "version": version})
    assert done.status_code == 200, done.get_json()
    after = api_json(api, sid)
    assert after["capacity"] == {"status": "waitlist", "available": 3, "maximum": 10}
    assert [lang["code"] for lang in after["languages"]] == ["en", "es"]
    unchanged = ("capacity", "languages")
    assert {k: v for k, v in after.items() if k not in unchanged} == {
        k: v for k, v in before.items() if k not in unchanged}
    bad = api.patch(f"/api/v1/services/{sid}", headers=headers, json={
        "min_age": 200, "version": done.get_json()["version"]})
    assert bad.status_code == 400
    assert bad.get_json()["error"]["parameter"] == "min_age"
    unknown = api.patch(f"/api/v1/services/{sid}", headers=headers, json={
        "program_name": "Renamed", "version": done.get_json()["version"]})
    assert unknown.status_code == 400
    assert unknown.get_json()["error"]["parameter"] == "program_name"
    stale = api.patch(f"/api/v1/services/{sid}", headers=headers, json={
        "fees": "Free", "version": version})
    assert stale.status_code == 409
    assert stale.get_json()["error"]["current_version"] == done.get_json()["version"]


def _alert(response) -> str:
    import re

    found = re.search(r'role="alert">(.*?)</p>', response.get_data(as_text=True), re.S)
    return found.group(1) if found else response.get_data(as_text=True)[:300]


def test_the_first_phone_stays_first_after_an_edit(app, make_service):
    """The form, the program's JSON and search results show the program's first phone. Its
    order must not depend on where the database keeps rows: PostgreSQL writes an updated row
    anew, so a first phone read in storage order became the last once edited, and the next
    save of the form's phone field changed the fax line."""
    sid = make_service("Two Line Pantry", description="groceries")
    other = make_service("Busy Line Pantry")
    with app.app_context():
        service = db.session.get(m.Service, sid)
        service.phones = [m.Phone(number="412-555-0100", type="voice"),
                          m.Phone(number="412-555-0101", type="fax")]
        # Other programs' phones fill the table's first page, as in any real directory:
        # PostgreSQL then writes an edited phone on a later page.
        db.session.add_all(m.Phone(service_id=other, number=f"412-555-{n:04}", type="voice")
                           for n in range(300))
        indexing.commit()
    admin = sign_in_admin(app)
    for number in ("412-555-0199", "412-555-0177"):
        assert edit_page(admin, sid)["phone"] != "412-555-0101"
        assert save(admin, sid, edit_page(admin, sid), phone=number).status_code == 303
        assert edit_page(admin, sid)["phone"] == number
        assert [(p["number"], p["type"]) for p in api_json(admin, sid)["phones"]] == [
            (number, "voice"), ("412-555-0101", "fax")]
        found = admin.get("/api/v1/search?q=groceries").get_json()["results"]
        assert [r["phone"] for r in found if r["id"] == sid] == [number]
