"""Sign-in throttling shared by every process (database counters), and the second step's
per-account limit and lockout (issue 9.3, issue 12.3)."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pyotp

from resdir.auth.models import User
from resdir.extensions import db
from tests.conftest import PASSWORD
from tests.servers import Gunicorn


def _start_admin_sign_in(client, people, csrf_token):
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": people.emails["admin"],
                                           "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/login/second-factor"
    return csrf_token(client, "/login/second-factor")


def test_second_factor_is_limited_per_account_whatever_the_address(app, people, csrf_token):
    client = app.test_client()
    token = _start_admin_sign_in(client, people, csrf_token)
    for i in range(5):
        wrong = client.post("/login/second-factor", data={"code": "000000", "csrf_token": token},
                            environ_base={"REMOTE_ADDR": f"192.0.2.{i + 1}"})
        assert wrong.status_code == 200 and "did not match" in wrong.get_data(as_text=True)
    # A sixth code from a fresh address: the account's budget is spent, even the right code.
    sixth = client.post("/login/second-factor", data={
        "code": pyotp.TOTP(people.totp).now(), "csrf_token": token},
        environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert sixth.status_code == 429
    assert "Too many attempts" in sixth.get_data(as_text=True)
    assert client.get("/admin/users").status_code == 401


def test_wrong_codes_lock_the_second_step(app, people, csrf_token):
    app.config["RESDIR_SECOND_FACTOR_LIMIT_ACCOUNT"] = "1000/minute"  # reach the lockout
    client = app.test_client()
    token = _start_admin_sign_in(client, people, csrf_token)
    for _ in range(9):
        assert client.post("/login/second-factor", data={
            "code": "000000", "csrf_token": token}).status_code == 200
    tenth = client.post("/login/second-factor", data={"code": "000000", "csrf_token": token})
    assert tenth.status_code == 429
    assert "locked until" in tenth.get_data(as_text=True)
    # The half-signed-in session is over: back to the password.
    assert client.get("/login/second-factor").headers["Location"].startswith("/login")
    # Even with the password again and the right code, the lock holds for its 30 minutes.
    token = _start_admin_sign_in(client, people, csrf_token)
    locked = client.post("/login/second-factor", data={
        "code": pyotp.TOTP(people.totp).now(), "csrf_token": token})
    assert locked.status_code == 429 and "locked until" in locked.get_data(as_text=True)
    assert client.get("/admin/users").status_code == 401
    with app.app_context():
        admin = db.session.get(User, people.ids["admin"])
        until = admin.second_factor_locked_until.replace(tzinfo=UTC)
        assert timedelta(minutes=29) < until - datetime.now(UTC) <= timedelta(minutes=30)
        admin.second_factor_locked_until = datetime.now(UTC) - timedelta(seconds=1)
        db.session.commit()
    token = _start_admin_sign_in(client, people, csrf_token)
    client.post("/login/second-factor", data={"code": pyotp.TOTP(people.totp).now(),
                                              "csrf_token": token})
    assert client.get("/admin/users").status_code == 200
    with app.app_context():
        assert db.session.get(User, people.ids["admin"]).second_factor_failures == 0


def test_a_right_code_resets_the_count_of_wrong_ones(app, people, csrf_token):
    app.config["RESDIR_SECOND_FACTOR_LIMIT_ACCOUNT"] = "1000/minute"
    for _ in range(2):  # 2 x 9 wrong codes, a right one between: never locked
        client = app.test_client()
        token = _start_admin_sign_in(client, people, csrf_token)
        for _ in range(9):
            client.post("/login/second-factor", data={"code": "000000", "csrf_token": token})
        client.post("/login/second-factor", data={"code": pyotp.TOTP(people.totp).now(),
                                                  "csrf_token": token})
        assert client.get("/admin/users").status_code == 200


def _post_form(opener, url: str, data: dict) -> int:
    body = urllib.parse.urlencode(data).encode()
    try:
        with opener.open(urllib.request.Request(url, data=body, method="POST"), timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_thirty_wrong_passwords_through_four_gunicorn_workers(app, people, tmp_path, node_env):
    """One account, one address, 30 wrong passwords at once through 4 worker processes:
    exactly 5 are checked, the rest are 429, whichever worker answers."""
    import http.cookiejar

    log = tmp_path / "gunicorn.log"
    # the access log names the worker process that answered each request
    env = node_env(GUNICORN_CMD_ARGS="--access-logformat 'served-by %(p)s %(m)s %(U)s %(s)s'")
    with Gunicorn(env, workers=4, log=log) as server:
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = opener.open(server.url + "/login", timeout=30).read().decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        form = {"email": people.emails["coord_a"], "password": "not the password",
                "csrf_token": token}
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda _: _post_form(opener, server.url + "/login", form),
                                  range(30)))
        right = _post_form(opener, server.url + "/login", {**form, "password": PASSWORD})
    assert Counter(codes) == {401: 5, 429: 25}
    assert right == 429  # the account's budget is spent on every worker
    served = Counter(line.split()[1] for line in log.read_text().splitlines()
                     if line.startswith("served-by") and " POST /login " in line)
    assert sum(served.values()) == 31
    assert len(served) >= 2, served  # several workers answered, and none counted alone
