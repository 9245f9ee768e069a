"""Uploads become import jobs (issue 9, item 8): the request keeps the file and answers
with the job's page; a background thread imports it; the page shows progress, then the
same report the synchronous import gave. No job runs twice; a dead one is marked failed."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import threading

import pytest
from sqlalchemy import func, select

from resdir.directory import models as m
from resdir.extensions import db
from resdir.interop import import_jobs
from resdir.interop.models import ImportJob
from tests.conftest import MINI_CSV

ORG = "00000000-0000-4000-8000-0000000000c1"
SERVICES = [{
    "id": f"00000000-0000-4000-8000-00000000010{i}", "name": f"Evening Meals {i}",
    "status": "active", "description": "Hot meals every evening.",
    "organization": {"id": ORG, "name": "Riverside Kitchen"},
    "phones": [{"id": f"00000000-0000-4000-8000-00000000020{i}", "number": "412-555-0100"}],
} for i in range(3)]


@pytest.fixture
def background(app, monkeypatch):
    """The upload answers at once with its job's page, as a big file's does. The job's
    import starts only once that answer is given: these files are tiny, and an import that
    ends within the 0 s wait makes the answer the report itself (as it should), which
    raced the job's page in one run of about ten."""
    app.config["RESDIR_IMPORT_WAIT_SECONDS"] = 0
    answered = app.extensions["test_upload_answered"] = threading.Event()
    real_import = import_jobs.import_saved

    def import_after_the_answer(*args, **kwargs):
        assert answered.wait(60), "the upload was never answered"
        return real_import(*args, **kwargs)

    monkeypatch.setattr(import_jobs, "import_saved", import_after_the_answer)
    yield app
    answered.set()  # a test that failed before its answer leaves no thread waiting


def _programs(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(m.Service))


def _upload(client, csrf_token, name: str, content: bytes):
    token = csrf_token(client, "/admin/import")
    return client.post("/admin/import", data={"file": (io.BytesIO(content), name),
                                              "csrf_token": token},
                       content_type="multipart/form-data")


def _finished_page(app, client, response) -> str:
    app.extensions["test_upload_answered"].set()
    assert response.status_code == 303, response.get_data(as_text=True)[-800:]
    page = response.headers["Location"]
    job_id = page.rsplit("/", 1)[1]
    import_jobs.wait(job_id, 300)
    answer = client.get(page)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_an_upload_becomes_a_job_whose_page_shows_the_report(background, people, csrf_token):
    app = background
    admin = people.login(app.test_client(), "admin")
    before = _programs(app)
    response = _upload(admin, csrf_token, "kitchen.json", json.dumps(SERVICES).encode())
    page = _finished_page(app, admin, response)
    assert "Imported." in page
    assert "service: 3 created, 0 updated, 0 unchanged" in page
    assert _programs(app) == before + 3
    with app.app_context():
        job = db.session.scalar(select(ImportJob))
        assert (job.status, job.ok, job.filename) == ("done", True, "kitchen.json")
        assert not import_jobs.folder_of(job.id).exists()  # the upload is not kept
    # The admin's import page lists it; a coordinator cannot see it.
    assert "kitchen.json" in admin.get("/admin/import").get_data(as_text=True)
    coordinator = people.login(app.test_client(), "coord_a")
    assert coordinator.get(response.headers["Location"]).status_code == 404


def test_a_bad_file_reports_its_row_and_field_and_changes_nothing(background, people,
                                                                  csrf_token):
    app = background
    admin = people.login(app.test_client(), "admin")
    before = _programs(app)
    with MINI_CSV.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = [{**row, **{k: "new-" + row[k] for k in ("organization_key", "location_key",
                                                        "program_key")}} for row in reader]
    rows[1]["latitude"] = "north"  # the file's row 3
    out = io.StringIO()
    writer = csv.DictWriter(out, reader.fieldnames)
    writer.writeheader()
    writer.writerows(rows)
    page = _finished_page(app, admin, _upload(admin, csrf_token, "directory.csv",
                                              out.getvalue().encode()))
    assert "Nothing was imported." in page
    assert "directory.csv, row 3, latitude" in page
    assert _programs(app) == before
    with app.app_context():
        job = db.session.scalar(select(ImportJob))
        assert (job.status, job.ok) == ("done", False)


def test_a_job_runs_once_however_many_try(app, people):
    """Two runners (threads here; nodes alike) start the same queued job at once: one
    imports it, the other finds it taken."""
    with app.app_context():
        job = ImportJob(filename="kitchen.json", created_by=people.ids["admin"])
        db.session.add(job)
        db.session.commit()
        folder = import_jobs.folder_of(job.id)
        folder.mkdir(parents=True)
        (folder / "kitchen.json").write_text(json.dumps(SERVICES), encoding="utf-8")
        job_id = job.id
    before = _programs(app)
    ran: list[bool] = []
    barrier = threading.Barrier(2)

    def runner(holder: str) -> None:
        with app.app_context():
            barrier.wait()
            ran.append(import_jobs.run(job_id, holder))
            db.session.remove()

    threads = [threading.Thread(target=runner, args=(f"node-{n}:1",)) for n in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert sorted(ran) == [False, True]
    assert _programs(app) == before + 3


def _orphan(app, people, attempts: int, with_file: bool) -> str:
    """A job left `running` by a process that no longer exists (kill -9 mid-import)."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    with app.app_context():
        job = ImportJob(filename="kitchen.json", status="running", attempts=attempts,
                        created_by=people.ids["admin"],
                        holder=f"{import_jobs.holder_name().rpartition(':')[0]}:{dead.pid}",
                        started_at=import_jobs.utcnow(), heartbeat_at=import_jobs.utcnow())
        db.session.add(job)
        db.session.commit()
        if with_file:
            folder = import_jobs.folder_of(job.id)
            folder.mkdir(parents=True)
            (folder / "kitchen.json").write_text(json.dumps(SERVICES), encoding="utf-8")
        return job.id


def test_a_job_whose_process_died_runs_again_once(app, people):
    """Nothing of an interrupted import was written (all or nothing). A worker restart
    stops imports: the job runs again, once; a second death marks it failed, saying so,
    instead of 'importing' forever."""
    admin = people.login(app.test_client(), "admin")
    before = _programs(app)
    again = _orphan(app, people, attempts=1, with_file=True)
    admin.get(f"/imports/{again}")
    import_jobs.wait(again, 300)
    page = admin.get(f"/imports/{again}").get_data(as_text=True)
    assert "Imported." in page
    assert _programs(app) == before + 3
    failed = _orphan(app, people, attempts=2, with_file=True)
    page = admin.get(f"/imports/{failed}").get_data(as_text=True)
    assert "the import was interrupted" in page
    assert "Nothing was imported." in page
    with app.app_context():
        assert db.session.get(ImportJob, failed).status == "failed"
        assert db.session.get(ImportJob, again).attempts == 2
