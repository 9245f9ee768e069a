"""A signed-in write made while an import is under way succeeds (issue 9, item 4: a
`resdir import` held SQLite's write lock for the whole import, 35 s for 20,000 rows, and
every signed-in write waited, then failed with "database is locked").

Both importers now check and stage the whole file with reads only, then write it in one
short transaction. Here a coordinator creates a client through the API from another
thread at the moment the import reports progress on its programs, and the import waits
for that request to finish: on the old code the import already held SQLite's lock there,
so the request waited out the busy timeout and failed."""

from __future__ import annotations

import csv
import json
import threading

import pytest
from sqlalchemy import func, select

from resdir.directory import bulk, operations
from resdir.directory import models as m
from resdir.extensions import db
from resdir.interop.hsds_import import import_path
from resdir.matching.models import Client
from tests.conftest import MINI_CSV

NEW_CLIENT = {"name": "Odalys P. Fenwick", "zip": "15213", "birth_date": "1987-03-09"}


class SignedInWrite:
    """progress() callback: on its first call, one API write by a coordinator from another
    thread (its own connection), waited for; the response status is kept."""

    def __init__(self, app, people):
        self.app, self.people = app, people
        self.statuses: list[int] = []

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.statuses or stage not in ("staging programs", "writing programs"):
            return
        thread = threading.Thread(target=self._write)
        thread.start()
        thread.join(60)
        assert self.statuses, "the signed-in write did not finish"

    def _write(self) -> None:
        response = self.app.test_client().post(
            "/api/v1/clients", headers=self.people.bearer("coord_a"), json=NEW_CLIENT)
        self.statuses.append(response.status_code)


@pytest.fixture(params=[5000, 2], ids=["one-batch", "batches"])
def batch(request, monkeypatch):
    """Staged rows go to their temporary tables in batches while the import still reads:
    with tiny batches here, a write committed by someone else meanwhile must not make the
    import's own write fail (SQLite: a transaction that read before another's commit
    cannot write; staging opens none)."""
    monkeypatch.setattr(bulk, "CHUNK", request.param)
    return request.param


def _clients(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Client))


def test_signed_in_write_during_a_csv_import(app, people, tmp_path, batch):
    path = tmp_path / "more.csv"
    with MINI_CSV.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = [{**row, **{k: "new-" + row[k] for k in ("organization_key", "location_key",
                                                        "program_key")}} for row in reader]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, reader.fieldnames)
        writer.writeheader()
        writer.writerows(rows)
    before = _clients(app)
    write = SignedInWrite(app, people)
    with app.app_context():
        summary = operations.import_csv(path, progress=write)
        assert summary.created == len(rows)
    assert write.statuses == [201]
    assert _clients(app) == before + 1


def _directory_json(path) -> None:
    path.write_text(json.dumps([{
        "id": f"00000000-0000-4000-8000-00000000000{i}", "name": f"Evening Meals {i}",
        "status": "active", "description": "Hot meals every evening.",
        "organization": {"id": "00000000-0000-4000-8000-0000000000a1",
                         "name": "Riverbend Kitchen"},
        "service_at_locations": [{"id": f"sal-{i}", "location": {
            "id": f"00000000-0000-4000-8000-0000000000b{i}", "name": "Kitchen",
            "addresses": [{"id": f"a-{i}", "address_1": f"{i} Liberty Ave", "city": "Pittsburgh",
                           "state_province": "PA", "postal_code": "15222",
                           "country": "US"}]}}],
    } for i in range(3)]))


def test_signed_in_write_during_an_hsds_import(app, people, tmp_path, batch):
    path = tmp_path / "directory.json"
    _directory_json(path)
    before = _clients(app)
    write = SignedInWrite(app, people)
    with app.app_context():
        report = import_path(path, progress=write)
        assert report.ok and report.applied, str(report)
        assert db.session.scalar(select(func.count()).select_from(m.Service).where(
            m.Service.name.like("Evening Meals %"))) == 3
    assert write.statuses == [201]
    assert _clients(app) == before + 1


def test_a_dry_run_leaves_no_staged_rows_behind(app, tmp_path, batch):
    """A dry run (and a refused import) staged rows into this connection's temporary tables
    and, on SQLite, committed them while still reading: they stayed there, holding disk,
    until the connection's next import or its closing. They are dropped when it ends."""
    path = tmp_path / "directory.json"
    _directory_json(path)
    with app.app_context():
        report = import_path(path, dry_run=True)
        assert report.ok and not report.applied, str(report)
        assert bulk._leftovers() == []
        assert db.session.scalar(select(func.count()).select_from(m.Service).where(
            m.Service.name.like("Evening Meals %"))) == 0
