"""Accounts, sign-in, sessions, tokens, CLI."""

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from resdir.auth.models import ApiToken, CareOrganization, User, UserSession
from resdir.auth.secrets import token_hash
from resdir.extensions import db
from tests.conftest import PASSWORD


def test_create_user_with_password_on_stdin(app, runner, mini):
    result = runner.invoke(args=["resdir", "create-user", "Ana@Clinic.example", "--role",
                                 "coordinator", "--organization", "Eastside Clinic"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "with the given password" in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ana@clinic.example"))
        assert user.care_organization.name == "Eastside Clinic"  # a new care organization
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


def test_create_user_without_stdin_prints_a_one_time_link(app, runner, client, mini,
                                                          csrf_token):
    result = runner.invoke(args=["resdir", "create-user", "boss@resdir.example", "--role",
                                 "admin"], input="")
    assert result.exit_code == 0, result.output
    link = result.output.strip().splitlines()[-1]
    assert link.startswith("http://127.0.0.1:5000/set-password/")
    path = link.removeprefix("http://127.0.0.1:5000")
    token = csrf_token(client, path)
    response = client.post(path, data={"password": "short", "csrf_token": token})
    assert response.status_code == 400
    response = client.post(path, data={"password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert client.get(path).status_code == 404  # one time only
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "boss@resdir.example"))
        assert user.setup_token_hash is None and user.password_hash


def test_agency_staff_must_name_a_directory_organization(runner, mini):
    result = runner.invoke(args=["resdir", "create-user", "x@y.example", "--role", "agency",
                                 "--organization", "Nonexistent Agency"], input=PASSWORD)
    assert result.exit_code != 0
    assert "No directory organization" in result.output
    ok = runner.invoke(args=["resdir", "create-user", "x@y.example", "--role", "agency",
                             "--organization", "Coraopolis Rides"], input=PASSWORD)
    assert ok.exit_code == 0, ok.output


def test_create_token_prints_it_last_and_stores_only_a_hash(app, runner, people):
    result = runner.invoke(args=["resdir", "create-token", people.emails["coord_a"]])
    token = result.output.strip().splitlines()[-1]
    with app.app_context():
        stored = db.session.scalar(select(ApiToken).where(ApiToken.token_hash ==
                                                          token_hash(token)))
        assert stored is not None
        assert db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token)) is None
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.get_json()["email"] == people.emails["coord_a"]


def test_bad_tokens_are_refused(client, people):
    for header in ("Bearer nope", "Basic abc", "Bearer "):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401
        assert response.is_json


def test_wrong_password_and_unknown_email_get_the_same_answer(client, people, csrf_token):
    token = csrf_token(client, "/login")
    wrong = client.post("/login", data={"email": people.emails["coord_a"], "password": "x" * 12,
                                        "csrf_token": token})
    unknown = client.post("/login", data={"email": "nobody@nowhere.example",
                                          "password": "x" * 12, "csrf_token": token})
    assert wrong.status_code == unknown.status_code == 401
    assert "do not match an active account" in wrong.get_data(as_text=True)

    def page(response, email):
        # The CSRF token is signed with the time, so it differs between any two pages.
        text = re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", response.get_data(
            as_text=True))
        return text.replace(email, "EMAIL")

    assert page(wrong, people.emails["coord_a"]) == page(unknown, "nobody@nowhere.example")


def test_login_is_rate_limited_per_account(client, people, csrf_token):
    token = csrf_token(client, "/login")
    codes = [client.post("/login", data={"email": people.emails["coord_a"], "password": "bad",
                                         "csrf_token": token}).status_code for _ in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    # Another account from the same address is not locked by that account's failures.
    other = client.post("/login", data={"email": people.emails["coord_b"], "password": PASSWORD,
                                        "csrf_token": token})
    assert other.status_code == 302


def test_login_is_rate_limited_per_address(app, client, people, csrf_token):
    token = csrf_token(client, "/login")
    codes = [client.post("/login", data={"email": f"u{i}@x.example", "password": "bad",
                                         "csrf_token": token}).status_code for i in range(21)]
    assert codes[-1] == 429 and 429 not in codes[:20]
    assert "Too many attempts" in client.post("/login", data={
        "email": "z@x.example", "password": "bad", "csrf_token": token}).get_data(as_text=True)


def test_logout_really_ends_the_session(app, people, csrf_token):
    client = people.login(app.test_client(), "agency_a")
    assert client.get("/agency/").status_code == 200
    cookie = client.get_cookie("session").value
    client.post("/logout", data={"csrf_token": csrf_token(client, "/agency/")})
    assert client.get("/agency/").status_code == 401
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    assert replay.get("/agency/").status_code == 401  # the old cookie is dead server-side


def test_deactivation_ends_sessions_and_tokens_at_once(app, people):
    from resdir.auth import operations

    client = people.login(app.test_client(), "agency_a")
    assert client.get("/agency/").status_code == 200
    with app.app_context():
        operations.deactivate(db.session.get(User, people.ids["agency_a"]))
    assert client.get("/agency/").status_code == 401
    me = app.test_client().get("/api/v1/me", headers=people.bearer("agency_a"))
    assert me.status_code == 401


def test_idle_timeout(app, people):
    client = people.login(app.test_client(), "coord_a")
    with app.app_context():
        for row in db.session.scalars(select(UserSession)):
            row.last_seen_at = datetime.now(UTC) - timedelta(minutes=16)
        db.session.commit()
    assert client.get("/agency/").status_code == 401  # signed out, not merely forbidden


def test_session_cookie_flags(app, people, csrf_token):
    client = app.test_client()
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": people.emails["coord_a"],
                                           "password": PASSWORD, "csrf_token": token})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = app.test_client()
    token = csrf_token(secure, "/login")
    # Over https Flask-WTF also checks that the Referer is this site.
    response = secure.post("/login", base_url="https://localhost",
                           headers={"Referer": "https://localhost/login"}, data={
        "email": people.emails["coord_b"], "password": PASSWORD, "csrf_token": token})
    assert "Secure" in response.headers["Set-Cookie"]


def test_session_token_is_renewed_at_login(app, people, csrf_token):
    client = app.test_client()
    csrf_token(client, "/login")
    client.set_cookie("session", "attacker-chosen")
    people.login(client, "coord_a")
    assert client.get_cookie("session").value != "attacker-chosen"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil",
                                    "javascript:alert(1)", "http:/evil.example"])
def test_next_after_login_never_leaves_the_site(app, people, csrf_token, target):
    client = app.test_client()
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": people.emails["coord_a"],
                                           "password": PASSWORD, "csrf_token": token,
                                           "next": target})
    assert response.headers["Location"] == "/"


def test_next_after_login_keeps_a_local_path(app, people, csrf_token):
    client = app.test_client()
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": people.emails["agency_a"],
                                           "password": PASSWORD, "csrf_token": token,
                                           "next": "/agency/"})
    assert response.headers["Location"] == "/agency/"


def test_admin_needs_the_second_factor(app, people, csrf_token):
    client = app.test_client()
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": people.emails["admin"],
                                           "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/login/second-factor"
    assert client.get("/admin/users").status_code == 401  # password alone is not enough
    token = csrf_token(client, "/login/second-factor")
    assert client.post("/login/second-factor", data={"code": "000000",
                                                     "csrf_token": token}).status_code == 200
    client.post("/login/second-factor", data={"code": pyotp.TOTP(people.totp).now(),
                                              "csrf_token": token})
    assert client.get("/admin/users").status_code == 200


def test_new_admin_enrols_a_second_factor_before_anything_else(app, runner, mini, csrf_token):
    runner.invoke(args=["resdir", "create-user", "new@resdir.example", "--role", "admin"],
                  input=PASSWORD)
    client = app.test_client()
    token = csrf_token(client, "/login")
    client.post("/login", data={"email": "new@resdir.example", "password": PASSWORD,
                                "csrf_token": token})
    page = client.get("/login/second-factor").get_data(as_text=True)
    assert "Scan this code" in page and "data:image/svg+xml" in page
    token = csrf_token(client, "/login/second-factor")  # sign-in began a new session
    with client.session_transaction() as session:
        secret = session["totp_enrol"]
    client.post("/login/second-factor", data={"code": pyotp.TOTP(secret).now(),
                                              "csrf_token": token})
    assert client.get("/admin/users").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(User.totp_secret).where(
            User.email == "new@resdir.example")) == secret


def test_forms_need_a_csrf_token_but_api_tokens_do_not(app, people):
    client = people.login(app.test_client(), "agency_a")
    response = client.post(f"/agency/programs/{'x'}/capacity", data={"capacity_status": "x"})
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True).lower()
    api = app.test_client()
    sid = api.get("/api/v1/search?q=pantry").get_json()["results"][0]["id"]
    version = api.get(f"/api/v1/services/{sid}").get_json()["version"]
    response = api.patch(f"/api/v1/services/{sid}", headers=people.bearer("agency_a"),
                         json={"capacity_status": "waitlist", "version": version})
    assert response.status_code == 200, response.get_json()


def test_api_ignores_the_session_cookie(app, people):
    client = people.login(app.test_client(), "agency_a")
    assert client.get("/api/v1/me").status_code == 401


def test_care_organization_is_created_once(app, runner, mini):
    for email in ("a@c.example", "b@c.example"):
        runner.invoke(args=["resdir", "create-user", email, "--role", "coordinator",
                            "--organization", "Lakeside Clinic"], input=PASSWORD)
    with app.app_context():
        assert db.session.query(CareOrganization).filter_by(name="Lakeside Clinic").count() == 1


def test_coordinator_may_add_a_second_factor(app, people, csrf_token):
    client = people.login(app.test_client(), "coord_a")
    token = csrf_token(client, "/account/second-factor")
    with client.session_transaction() as session:
        secret = session["totp_enrol"]
    response = client.post("/account/second-factor", data={"code": pyotp.TOTP(secret).now(),
                                                           "csrf_token": token})
    assert response.status_code == 302
    # From now on a password alone is not enough for this user.
    again = app.test_client()
    token = csrf_token(again, "/login")
    response = again.post("/login", data={"email": people.emails["coord_a"],
                                          "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/login/second-factor"
    assert again.get("/api/v1/me").status_code == 401
