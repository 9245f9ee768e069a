"""Fixtures: a fresh database and a fresh index per test, factories for directory data.

`pytest --db=postgres` runs the same tests on a real PostgreSQL server started for the
session (each test gets its own database, copied from a migrated template).
"""

from __future__ import annotations

import itertools
import shutil
from datetime import date
from pathlib import Path

import pytest
from flask_migrate import upgrade

from resdir import create_app
from resdir.directory import indexing, operations
from resdir.directory import models as m
from resdir.extensions import db
from resdir.matching.operations import ensure_crosswalk
from tests.fixture_dates import MINI_CSV, as_of_today  # noqa: F401  (MINI_CSV: tests import it from here)

HERE = Path(__file__).resolve().parent
_counter = itertools.count()


def pytest_addoption(parser):
    parser.addoption("--db", default="sqlite", choices=["sqlite", "postgres"],
                     help="database the tests run on")


def _postgres_run_only(item) -> bool:
    """Tests marked `postgres` use PostgreSQL's own features (roles, GRANT). Tests in
    Chromium check what people see and do on pages, which goes through the same code on
    either database: they run once, on PostgreSQL (production's database), so `make test`
    stays within its time."""
    return bool(item.get_closest_marker("postgres")) or "browser" in item.fixturenames


def pytest_collection_modifyitems(config, items):
    """A SQLite run deselects the PostgreSQL-run-only tests (reported as deselected, so no
    skip can hide a failure)."""
    if config.getoption("--db") == "postgres":
        return
    once = [item for item in items if _postgres_run_only(item)]
    if once:
        config.hook.pytest_deselected(items=once)
        items[:] = [item for item in items if not _postgres_run_only(item)]


@pytest.fixture(scope="session")
def pg_server(request, tmp_path_factory):
    if request.config.getoption("--db") != "postgres":
        yield None
        return
    from tests.pgserver import PgServer

    server = PgServer()
    server.start()
    server.execute("CREATE DATABASE resdir_template")
    _migrate(create_app({"RESDIR_DATABASE_URL": server.url("resdir_template"), "TESTING": True,
                         "RESDIR_INDEX_DIR": str(tmp_path_factory.mktemp("unused-index"))}))
    yield server
    server.stop()


def _migrate(app) -> None:
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(request, tmp_path_factory):
    """One migrated SQLite file per session: each test starts from a copy of it, the way the
    PostgreSQL tests start from a template database (running every migration per test cost
    about a second each)."""
    if request.config.getoption("--db") != "sqlite":
        return None
    path = tmp_path_factory.mktemp("template") / "resdir.sqlite3"
    _migrate(create_app({"RESDIR_DATABASE_URL": f"sqlite:///{path}", "TESTING": True,
                         "RESDIR_INDEX_DIR": str(tmp_path_factory.mktemp("unused-index"))}))
    return path


def _fresh_database(folder: Path, pg_server, sqlite_template) -> str:
    """The URL of a fresh, migrated database (a copy of the session's template)."""
    if pg_server is None:
        path = folder / "resdir.sqlite3"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    name = f"resdir_test_{next(_counter)}"
    pg_server.execute(f"CREATE DATABASE {name} TEMPLATE resdir_template")
    return pg_server.url(name)


@pytest.fixture
def database_url(tmp_path, pg_server, sqlite_template):
    """The URL of a fresh, migrated database for one test."""
    return _fresh_database(tmp_path, pg_server, sqlite_template)


def _test_app(folder: Path, database_url: str):
    """The app as the tests run it, on that database with its index in `folder`."""
    app = create_app({
        "TESTING": True,
        "RESDIR_DATABASE_URL": database_url,
        "RESDIR_INDEX_DIR": str(folder / "index"),
        "RESDIR_SECRET_KEY": "test-secret",
        "RESDIR_MAIL_ENABLED": False,  # the `mailbox` fixture turns mail on, to a real server
        "RESDIR_INDEX_POLL_SECONDS": 0,  # no background sync: tests apply the log themselves
        # An upload's answer waits for its import job (in its thread) to finish, however
        # busy the machine: tests of the progress page set 0.
        "RESDIR_IMPORT_WAIT_SECONDS": 300,
        "RESDIR_IMPORT_DIR": str(folder / "imports"),
        # Map tiles from a closed loopback port: browser tests never reach the internet,
        # and the results must work without tiles.
        "RESDIR_MAP_TILE_URL": "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png",
        # Real argon2id at its cheapest: a production hash costs ~0.3 s of CPU, and the
        # suite signs people in thousands of times.
        "RESDIR_PASSWORD_HASH_TIME_COST": 1,
        "RESDIR_PASSWORD_HASH_MEMORY_KIB": 64,
    })
    with app.app_context():
        operations.ensure_categories()
        ensure_crosswalk()
        db.session.commit()
    return app


def _close(app) -> None:
    with app.app_context():
        indexing.search_index().close()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(tmp_path, database_url):
    app = _test_app(tmp_path, database_url)
    yield app
    _close(app)


# -- several apps on one database (web workers, nodes, a forked CLI) ------------------------


@pytest.fixture
def twin(app, tmp_path, database_url):
    """A second app in this process on the test's database and index, as a second web worker
    would be: its own engine and connection pool."""
    other = _test_app(tmp_path, database_url)
    yield other
    _close(other)


@pytest.fixture
def node_env(app):
    """Settings for another process on the test's database and index (a gunicorn worker, a
    second node, a forked command), as environment strings, `extra` on top. The test app's
    own connections are closed first: none may be shared with, or forked into, the other."""

    def settings(**extra: str) -> dict[str, str]:
        with app.app_context():
            db.engine.dispose()
        return {"RESDIR_DATABASE_URL": app.config["RESDIR_DATABASE_URL"],
                "RESDIR_INDEX_DIR": app.config["RESDIR_INDEX_DIR"],
                "RESDIR_SECRET_KEY": "test-secret", "RESDIR_MAIL_ENABLED": "false", **extra}

    return settings


@pytest.fixture(scope="module")
def module_app(tmp_path_factory, pg_server, sqlite_template):
    """An app shared by one test module, for data too costly to build per test (10,000
    programs); its tests must leave the data as they found it."""
    folder = tmp_path_factory.mktemp("module")
    app = _test_app(folder, _fresh_database(folder, pg_server, sqlite_template))
    yield app
    _close(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def mini(app):
    """The six-program directory in tests/data/mini.csv, loaded and indexed."""
    with app.app_context():
        operations.import_csv(MINI_CSV)
    return app


ASSURED = as_of_today(date(2026, 11, 1))  # a month before the fixtures were written


@pytest.fixture
def make_service(app):
    """Factory: create one program (with organization and location) and index it."""

    def make(name="Test Program", *, description="", categories=("food",), zip_code="15213",
             lat=40.4442, lon=-79.9557, status="active", hours=(), languages=("en",),
             confidential=False, assured=ASSURED, **fields):
        with app.app_context():
            terms = {t.code: t for t in operations.categories()}
            n = next(_counter)
            org = m.Organization(name=f"Org {n}")
            loc = m.Location(organization=org, latitude=lat, longitude=lon,
                             timezone="America/New_York", confidential=confidential)
            loc.addresses.append(m.Address(address_1=f"{n} Main St", city="Pittsburgh",
                                           state_province="PA", postal_code=zip_code))
            service = m.Service(organization=org, name=name, description=description,
                                status=status, assured_date=assured, **fields)
            service.service_at_locations.append(m.ServiceAtLocation(location=loc))
            service.attributes = [
                m.Attribute(link_entity="service", taxonomy_term_id=terms[c].id,
                            taxonomy_term=terms[c])
                for c in categories
            ]
            service.languages = [m.Language(code=c) for c in languages]
            service.schedules = [
                m.Schedule(freq="WEEKLY", byday=day, opens_at=o, closes_at=c)
                for day, o, c in hours
            ]
            db.session.add(service)
            indexing.commit()
            return service.id

    return make


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on a free loopback port, in a background thread."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


ARTIFACTS = "test-artifacts"  # under the rootdir; gitignored


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A browser test that fails (in set-up or in the test) leaves a full-page screenshot of
    every page it had open in test-artifacts/, named after the test, for the person reading
    the failure in CI or on their machine."""
    report = yield
    browser = item.funcargs.get("browser") if hasattr(item, "funcargs") else None
    if report.failed and report.when in ("setup", "call") and browser is not None:
        lines = save_screenshots(browser, Path(item.config.rootpath) / ARTIFACTS, item.nodeid)
        if lines:
            report.sections.append(("screenshots", "\n".join(lines)))
    return report


def pytest_terminal_summary(terminalreporter):
    """Clicks per browser journey (tests/journeys.py records them), listed after the run."""
    rows = [(report.nodeid, value) for report in terminalreporter.getreports("passed")
            for key, value in report.user_properties if key == "clicks"]
    if rows:
        terminalreporter.section("clicks per journey")
        for nodeid, clicks in sorted(rows):
            terminalreporter.write_line(f"{clicks:3d}  {nodeid}")


def save_screenshots(browser, folder: Path, nodeid: str) -> list[str]:
    """Screenshot every open page; one line per page (path and URL, or why it failed)."""
    import re

    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")
    pages = [p for context in browser.contexts for p in context.pages if not p.is_closed()]
    lines = []
    for n, open_page in enumerate(pages):
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (f"{stem}.png" if len(pages) == 1 else f"{stem}-{n + 1}.png")
        try:
            open_page.screenshot(path=str(path), full_page=True, timeout=5000)
        except Exception as exc:  # a crashed page must not hide the test's own failure
            lines.append(f"no screenshot of {open_page.url}: {exc!r}")
        else:
            lines.append(f"{path} ({open_page.url})")
    return lines


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


PASSWORD = "correct horse battery staple"


class People:
    """Two care organizations, two agencies and an admin, each able to sign in."""

    def __init__(self, app):
        import pyotp

        from resdir.auth import operations as auth

        self.app = app
        with app.app_context():
            pantry = db.session.query(m.Organization).filter_by(
                name="Hilltop Community Pantry").one()
            counseling = db.session.query(m.Organization).filter_by(
                name="Three Rivers Counseling Collective").one()
            self.pantry_org, self.counseling_org = pantry.id, counseling.id
            made = {
                "admin": auth.create_user("admin@resdir.example", "admin", password=PASSWORD),
                "coord_a": auth.create_user("coord.a@clinic-a.example", "coordinator",
                                            "Northside Clinic", password=PASSWORD),
                "coord_b": auth.create_user("coord.b@clinic-b.example", "coordinator",
                                            "Southside Health Plan", password=PASSWORD),
                "agency_a": auth.create_user("staff@pantry.example", "agency", pantry.id,
                                             password=PASSWORD),
                "agency_b": auth.create_user("staff@counseling.example", "agency",
                                             counseling.id, password=PASSWORD),
            }
            self.totp = pyotp.random_base32()
            made["admin"].totp_secret = self.totp
            db.session.commit()
            self.ids = {k: u.id for k, u in made.items()}
            self.emails = {k: u.email for k, u in made.items()}
            self.care = {k: made[k].care_organization_id for k in ("coord_a", "coord_b")}
            self.tokens = {k: auth.create_api_token(u) for k, u in made.items()}

    def login(self, client, who: str):
        """Sign in through the real form (and the second factor for the admin)."""
        import pyotp

        csrf = _csrf(client, "/login")
        response = client.post("/login", data={"email": self.emails[who], "password": PASSWORD,
                                               "csrf_token": csrf})
        assert response.status_code == 302, response.get_data(as_text=True)
        if who == "admin":
            csrf = _csrf(client, "/login/second-factor")
            response = client.post("/login/second-factor", data={
                "code": pyotp.TOTP(self.totp).now(), "csrf_token": csrf})
            assert response.status_code == 302
        return client

    def bearer(self, who: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def refer_to_pantry(self, client_name: str) -> tuple[str, str, str]:
        """Coordinator A (Northside Clinic) refers a new client, ZIP 15213, for food
        insecurity with verbal consent, to the Hilltop Food Pantry. Returns the pantry's, the
        client's and the referral's ids."""
        from resdir.auth.models import User
        from resdir.matching.operations import create_client
        from resdir.referrals.operations import create_referral

        with self.app.app_context():
            coord = db.session.get(User, self.ids["coord_a"])
            pantry = db.session.query(m.Service.id).filter_by(name="Hilltop Food Pantry").scalar()
            client = create_client(coord, {"name": client_name, "zip": "15213",
                                           "needs": ["food-insecurity"]})
            referral = create_referral(coord, {
                "client_id": client.id, "service_id": pantry, "need": "food-insecurity",
                "consent": {"given": True, "method": "verbal", "scope": "Name, age and ZIP"}})
            db.session.commit()
            return pantry, client.id, referral.id


def _csrf(client, path: str) -> str:
    import re

    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


@pytest.fixture
def people(app, mini):
    return People(app)


@pytest.fixture
def csrf_token():
    return _csrf


@pytest.fixture
def mailbox(app):
    """A real SMTP server (aiosmtpd) on loopback; the app sends its mail there."""
    import email
    import email.policy

    from aiosmtpd.controller import Controller

    from tests.pgserver import _free_port

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(email.message_from_bytes(envelope.content,
                                                          policy=email.policy.default))
            return "250 OK"

    inbox = Inbox()
    port = _free_port()
    # aiosmtpd gives up after 5 s when its thread is slow to start ("the system is too
    # busy"); a loaded 2-core CI machine must not fail a test's set-up for that.
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=60)
    controller.start()
    app.config.update(RESDIR_SMTP_HOST="127.0.0.1", RESDIR_SMTP_PORT=port,
                      RESDIR_MAIL_ENABLED=True)
    yield inbox
    controller.stop()


@pytest.fixture
def fhir(app, people):
    """Calls /fhir/* as a role (tests/fhir_support.py)."""
    from fhir_support import Fhir

    return Fhir(app, people)


@pytest.fixture
def referral(app, people, fhir):
    """A requested referral of a screened client to the Hilltop pantry (fhir_support.py)."""
    from fhir_support import make_referral

    return make_referral(app, people, fhir)


@pytest.fixture
def api(app, people):
    """Call the JSON API as one of `people` (a coordinator unless `who` says otherwise)."""
    client = app.test_client()

    def call(method, path, who="coord_a", **kwargs):
        return client.open(path, method=method, headers=people.bearer(who), **kwargs)

    return call
