"""Request size limit and zip bombs (issue 9.8: a 0.5 MB zip unpacking to 195 MB drove a
worker to 3.4 GB)."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from resdir.directory import models as m
from resdir.extensions import db

ROW = b"bomb-1,Invented Org,Invented Program,A program that exists only in this test\n"


@pytest.fixture(scope="session")
def zip_bomb(tmp_path_factory) -> bytes:
    """A real zip bomb: one CSV of ~200 MB of repeated rows, about half a megabyte packed."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    block = ROW * (1024 * 1024 // len(ROW))
    with (zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
          archive.open("services.csv", "w", force_zip64=True) as member):
        member.write(b"id,organization_id,name,description\n")
        for _ in range(200):
            member.write(block)
    return path.read_bytes()


def _admin_upload(people, app, csrf_token, data: bytes, name: str):
    admin = people.login(app.test_client(), "admin")
    token = csrf_token(admin, "/admin/import")
    # Encoded here in memory: the test client spools bodies over 500 kB to a temporary file
    # it never closes (a ResourceWarning), which a server would not do.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), name),
                                       "csrf_token": token})
    return admin.post("/admin/import", data=body,
                      content_type=f"multipart/form-data; boundary={boundary}")


def test_a_zip_bomb_is_refused_quickly_in_little_memory(app, people, csrf_token, zip_bomb):
    assert len(zip_bomb) < 1024 * 1024
    with zipfile.ZipFile(io.BytesIO(zip_bomb)) as archive:
        assert archive.infolist()[0].file_size > 190 * 1024 * 1024
    tracemalloc.start()
    started = time.thread_time()  # CPU of this thread, where the test client answers:
    response = _admin_upload(people, app, csrf_token, zip_bomb, "directory.zip")
    elapsed = time.thread_time() - started  # what unpacking cost, however busy the machine
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "as zip bombs do" in text and "nothing was imported" in text
    assert elapsed < 10
    assert peak < 40 * 1024 * 1024, peak  # not the 200 MB it unpacks to
    with app.app_context():
        assert db.session.query(m.Service).count() == 6


def test_a_zip_whose_headers_understate_its_size_is_stopped_while_unpacking(
        app, people, csrf_token, zip_bomb):
    """Headers can lie: the declared size is set to 1 KB; what comes out is counted."""
    forged = bytearray(zip_bomb)
    with zipfile.ZipFile(io.BytesIO(zip_bomb)) as archive:
        info = archive.infolist()[0]
    # zip64 keeps the real sizes in the extra fields: rewrite them everywhere they occur.
    real = info.file_size.to_bytes(8, "little")
    assert forged.count(real) >= 1
    forged = forged.replace(real, (1024).to_bytes(8, "little"))
    response = _admin_upload(people, app, csrf_token, bytes(forged), "directory.zip")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "not a readable zip archive" in text or "as zip bombs do" in text


def test_a_zip_too_large_in_total_is_refused(app, people, csrf_token):
    app.config["RESDIR_MAX_UNPACKED_MB"] = 1
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_STORED) as archive:  # ratio 1: only size
        archive.writestr("services.csv", b"id,name\n" + b"x" * (2 * 1024 * 1024))
    response = _admin_upload(people, app, csrf_token, packed.getvalue(), "directory.zip")
    assert response.status_code == 400
    assert "unpacks to more than 1.0 MB" in response.get_data(as_text=True)


def test_a_request_over_the_size_limit_is_413_in_html_and_json(app, people, csrf_token):
    app.config.update(RESDIR_MAX_UPLOAD_MB=1, MAX_CONTENT_LENGTH=1024 * 1024)
    big = b"id,name\n" + b"x" * (2 * 1024 * 1024)
    page = _admin_upload(people, app, csrf_token, big, "services.csv")
    assert page.status_code == 413
    assert page.mimetype == "text/html"
    assert "larger than the 1 MB this server accepts" in page.get_data(as_text=True)
    api = app.test_client().post("/api/v1/clients", headers=people.bearer("coord_a"),
                                 data=b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}',
                                 content_type="application/json")
    assert api.status_code == 413
    error = api.get_json()["error"]
    assert error["status"] == 413 and "RESDIR_MAX_UPLOAD_MB" in error["message"]


def test_the_default_limit_comes_from_the_setting(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 20 * 1024 * 1024
