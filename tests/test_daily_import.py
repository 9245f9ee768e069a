"""The admin's web import (issue 10, defect 6): the seed CSV loads as on the command line,
the report names the uploaded file (never a server path), and the same HSDS file uploaded
under another name updates what it made instead of duplicating it."""

import csv
import io
from pathlib import Path

from resdir.directory import models as m
from resdir.extensions import db

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "seed_resources.csv"
EXAMPLES = ROOT.parent / "shared" / "external" / "hsds-specification" / "v3.0" / "examples"


def _upload(admin, csrf_token, name, content, **extra):
    return admin.post("/admin/import", data={
        "file": (io.BytesIO(content), name), "csrf_token": csrf_token(admin, "/admin/import"),
        **extra}, content_type="multipart/form-data")


def _programs(app) -> int:
    with app.app_context():
        return db.session.query(m.Service).count()


def test_admin_imports_the_seed_csv_on_the_web(app, people, csrf_token, client):
    admin = people.login(app.test_client(), "admin")
    before = _programs(app)
    response = _upload(admin, csrf_token, "seed_resources.csv", SEED.read_bytes())
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[-1500:]
    assert "Imported." in page and "no HSDS tables" not in page
    with SEED.open(newline="") as handle:
        seeded = sum(1 for _ in csv.DictReader(handle))  # one program a row
    assert _programs(app) == before + seeded
    # In search at once.
    assert client.get("/api/v1/search?q=pantry&per_page=100").get_json()["total"] > 1


def test_a_bad_seed_csv_names_file_row_and_column(app, people, csrf_token):
    admin = people.login(app.test_client(), "admin")
    lines = SEED.read_text().splitlines()
    header = lines[0].split(",")
    broken = lines[1].replace(",active,", ",open,", 1)
    response = _upload(admin, csrf_token, "mine.csv", "\n".join([lines[0], broken]).encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was imported." in page
    assert "mine.csv, row 2" in page and "status" in page
    assert header[0] == "organization_key"


def test_the_report_never_shows_server_paths(app, people, csrf_token):
    admin = people.login(app.test_client(), "admin")
    for name, content in (("broken.json", b"{not json"), ("list.json", b"[]"),
                          ("services.csv", b"id,name\n")):
        page = _upload(admin, csrf_token, name, content).get_data(as_text=True)
        assert name.split(".")[0] in page
        assert "resdir-upload-" not in page and "/tmp" not in page, page


def test_the_same_hsds_file_under_another_name_updates_instead_of_duplicating(
        app, people, csrf_token):
    admin = people.login(app.test_client(), "admin")
    data = (EXAMPLES / "service_full.json").read_bytes()
    first = _upload(admin, csrf_token, "service_full.json", data)
    assert first.status_code == 200, first.get_data(as_text=True)[-800:]
    after_first = _programs(app)
    with app.app_context():
        orgs = db.session.query(m.Organization).count()
    again = _upload(admin, csrf_token, "counselling-2026-12.json", data)
    assert again.status_code == 200, again.get_data(as_text=True)[-800:]
    assert _programs(app) == after_first
    with app.app_context():
        assert db.session.query(m.Organization).count() == orgs
        assert db.session.query(m.Service).filter_by(name="Community Counselling").count() == 1
