"""Directory files uploaded through the web pages."""

import io
import zipfile
from pathlib import Path

from resdir.directory import models as m
from resdir.extensions import db

EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "external" / \
    "hsds-specification" / "v3.0" / "examples"
CITY = Path(__file__).resolve().parents[2] / "shared" / "external" / \
    "hsds-1.1-sample-data-example-city" / "all_resources"


def test_admin_imports_a_zipped_csv_datapackage(app, people, csrf_token):
    admin = people.login(app.test_client(), "admin")
    packed = city_zip()
    token = csrf_token(admin, "/admin/import")
    response = admin.post("/admin/import", data={
        "file": (packed, "example-city.zip"), "csrf_token": token},
        content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)[-800:]
    assert "Imported." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(m.Service).count() == 6 + 13


def test_admin_dry_run_writes_nothing(app, people, csrf_token):
    admin = people.login(app.test_client(), "admin")
    token = csrf_token(admin, "/admin/import")
    data = (EXAMPLES / "service_full.json").read_bytes()
    response = admin.post("/admin/import", data={
        "file": (io.BytesIO(data), "service_full.json"), "dry_run": "1", "csrf_token": token},
        content_type="multipart/form-data")
    assert "Checked only: nothing was written." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(m.Service).count() == 6


def city_zip() -> io.BytesIO:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        for file in CITY.iterdir():
            archive.write(file, f"city/{file.name}")
    packed.seek(0)
    return packed


def test_agency_upload_about_other_organizations_is_refused(app, people, csrf_token):
    """A file of ten organizations: nine are not this agency's, so nothing is applied.
    (A file with a single organization is taken as the agency's own, whatever its ids.)"""
    agency = people.login(app.test_client(), "agency_a")
    token = csrf_token(agency, "/agency/")
    response = agency.post("/agency/upload", data={
        "file": (city_zip(), "city.zip"), "csrf_token": token},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Nothing was imported." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(m.Service).count() == 6


def test_bad_uploads_are_explained(app, people, csrf_token):
    admin = people.login(app.test_client(), "admin")
    token = csrf_token(admin, "/admin/import")
    for name, content, message in [
        ("notes.txt", b"hello", "Upload HSDS as .json"),
        ("broken.zip", b"not a zip", "not a readable zip archive"),
    ]:
        response = admin.post("/admin/import", data={
            "file": (io.BytesIO(content), name), "csrf_token": token},
            content_type="multipart/form-data")
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
