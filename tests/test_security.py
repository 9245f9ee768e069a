"""Headers on every response, errors, audit log, and what logs may hold."""

import csv
import io
import logging

import pytest
from sqlalchemy import text

from resdir.audit.models import AuditEvent, AuditLogIsAppendOnly
from resdir.audit.operations import safe_cell
from resdir.extensions import db


@pytest.mark.parametrize("path", ["/", "/?q=food", "/login", "/api/v1/search?q=food",
                                  "/api/v1/services/nope", "/no-such-page",
                                  "/static/resdir.css"])
def test_security_headers_on_every_response(client, mini, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                      "script-src 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Strict-Transport-Security" not in response.headers  # plain http here
    response.close()  # static files are streamed from an open file


def test_hsts_over_https(client, mini):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_inline_script_or_style_in_pages(client, mini):
    import re

    for path in ("/", "/?q=rent&zip=15213", "/login"):
        page = client.get(path).get_data(as_text=True)
        # Scripts only from files the app serves (the map's), never inline.
        assert all(re.fullmatch(r'<script src="/static/[\w/.-]+\.js" defer>', tag)
                   for tag in re.findall(r"<script[^>]*>", page)), path
        assert "style=" not in page and "onclick" not in page


def test_signed_in_pages_and_token_calls_are_never_cached(app, people):
    client = people.login(app.test_client(), "agency_a")
    assert client.get("/agency/").headers["Cache-Control"] == "no-store"
    api = app.test_client().get("/api/v1/me", headers=people.bearer("coord_a"))
    assert api.headers["Cache-Control"] == "no-store"
    assert "no-store" not in app.test_client().get("/").headers.get("Cache-Control", "")


def test_server_error_is_plain_and_rolls_back(app, mini):
    @app.get("/boom")
    def boom():
        db.session.execute(text("UPDATE service SET name = 'half-done'"))
        raise RuntimeError("SELECT secret FROM internals")

    client = app.test_client()
    response = client.get("/boom", headers={"Accept": "application/json"})
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "SELECT" not in body and "RuntimeError" not in body
    assert "Nothing was changed" in response.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.execute(text(
            "SELECT COUNT(*) FROM service WHERE name = 'half-done'")).scalar() == 0


def test_audit_rows_for_sign_in_and_writes(app, people):
    client = people.login(app.test_client(), "agency_a")
    sid = app.test_client().get("/api/v1/search?q=pantry").get_json()["results"][0]["id"]
    version = app.test_client().get(f"/api/v1/services/{sid}").get_json()["version"]
    app.test_client().patch(f"/api/v1/services/{sid}", headers=people.bearer("agency_a"),
                            json={"capacity_status": "waitlist", "version": version})
    with app.app_context():
        events = db.session.query(AuditEvent).all()
        actions = {(e.action, e.user_id, e.outcome) for e in events}
        assert ("login", people.ids["agency_a"], "ok") in actions
        assert ("service.update_capacity", people.ids["agency_a"], "ok") in actions
        update = next(e for e in events if e.action == "service.update_capacity")
        assert update.record_id == sid and update.role == "agency"
        assert update.organization_id == people.pantry_org
        assert update.address == "127.0.0.1"
    assert client  # the signed-in client stays valid


def test_failed_sign_in_is_audited_without_the_password(app, people, csrf_token):
    client = app.test_client()
    token = csrf_token(client, "/login")
    client.post("/login", data={"email": people.emails["coord_a"],
                                "password": "wrong-password-123", "csrf_token": token})
    with app.app_context():
        refused = db.session.query(AuditEvent).filter_by(outcome="refused").one()
        assert refused.user_id == people.ids["coord_a"]
        assert "wrong-password" not in str(vars(refused))


def test_audit_rows_cannot_be_changed_or_deleted(app, people):
    with app.app_context():
        event = db.session.query(AuditEvent).first()
        event.action = "forged"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        event = db.session.query(AuditEvent).first()
        db.session.delete(event)
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        # Below the application, the database refuses too.
        for sql in ("UPDATE audit_event SET action = 'forged'", "DELETE FROM audit_event"):
            with pytest.raises(Exception, match="append-only"):
                db.session.execute(text(sql))
            db.session.rollback()
        assert db.session.query(AuditEvent).filter_by(action="forged").count() == 0


def test_admin_audit_page_filters_and_exports_safe_csv(app, people):
    admin = people.login(app.test_client(), "admin")
    page = admin.get(f"/admin/audit?user={people.ids['admin']}").get_data(as_text=True)
    assert "login.second_factor" in page
    assert "user.create" not in page  # the users were created from the CLI, not by admin
    export = admin.get(f"/admin/audit.csv?user={people.ids['coord_a']}")
    assert export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert rows and {r["user_id"] for r in rows} == {people.ids["coord_a"]}
    bad = admin.get("/admin/audit?from=yesterday")
    assert bad.status_code == 400 and "from must be a date" in bad.get_data(as_text=True)


@pytest.mark.parametrize(("value", "expected"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1", "'+1"), ("-2", "'-2"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("plain", "plain"), (None, ""),
])
def test_csv_cells_cannot_become_formulas(value, expected):
    assert safe_cell(value) == expected


def test_logs_carry_ids_not_names_or_contact_details(app, people, caplog, csrf_token):
    """Plant a unique name and e-mail; they must appear in no log line."""
    caplog.set_level(logging.DEBUG)
    admin = people.login(app.test_client(), "admin")
    token = csrf_token(admin, "/admin/users")
    response = admin.post("/admin/users", data={
        "email": "quillon.varga@clinic-a.example", "name": "Quillon Zephyrine Varga",
        "role": "coordinator", "organization": "Northside Clinic", "csrf_token": token})
    assert response.status_code == 201
    assert "/set-password/" in response.get_data(as_text=True)
    text_logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "user " in text_logged  # something was logged, by id
    assert "Quillon" not in text_logged and "Zephyrine" not in text_logged
    assert "quillon.varga" not in text_logged


def test_nul_characters_are_refused_naming_the_parameter(client, mini):
    response = client.get("/hsds/services?taxonomy_term_id=a%00b")
    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == "taxonomy_term_id"
    assert client.get("/api/v1/search?q=fo%00od").status_code == 200  # words: dropped
