"""Re-imports that edit existing programs (issue 9, items 1 and 4).

The edits are staged while no lock is held and written in a few set-based statements (one
UPDATE of the programs from their staging table that checks and bumps each version, one
DELETE and one INSERT per child table), not one ORM UPDATE per program inside SQLite's
write lock. They must still bump every changed program's version (so an agency form read
before gets 409), stop the whole import when an agency saved meanwhile (no lost update),
and log the programs for the search index."""

from __future__ import annotations

import csv
import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm.exc import StaleDataError

from resdir.directory import csvload, operations
from resdir.directory import models as m
from resdir.extensions import db
from resdir.interop.hsds_import import import_path
from tests.conftest import MINI_CSV
from tests.test_listing_save import edit_page, save, sign_in_admin
from tests.test_versions import current, pantry


def _rows(copies: int = 1, edit: str = "", hours: str | None = None,
          pantry_text: str = "") -> list[dict]:
    with MINI_CSV.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        seed = list(reader)
    out = []
    for copy in range(copies):
        for given in seed:
            row = dict(given)
            if copy:
                for key in ("organization_key", "location_key", "program_key"):
                    row[key] = f"{row[key]}-{copy}"
            row["program_description"] += edit
            if row["program_key"] == "p-food":
                row["hours"] = hours or row["hours"]
                row["program_description"] += pantry_text
            out.append(row)
    return out


def _versions(app) -> dict[str, int]:
    with app.app_context():
        return dict(db.session.execute(select(m.Service.id, m.Service.version)).all())


def _write(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_reimport_edit_bumps_the_version_and_a_form_read_before_gets_409(app, people,
                                                                            tmp_path):
    sid = pantry(app)
    agency = people.login(app.test_client(), "agency_a")
    form = edit_page(agency, sid)
    before, versions = current(app, sid), _versions(app)
    # Only the hours (child rows) change in the file.
    with app.app_context():
        operations.import_csv(_write(tmp_path / "hours.csv", _rows(hours="Sa 08:00-11:00")))
    assert _versions(app) == {**versions, sid: versions[sid] + 1}  # the others: unchanged
    after = current(app, sid)
    assert after["version"] == before["version"] + 1
    assert after["hours"] == [("SA", "08:00:00")]
    refused = save(agency, sid, form, languages="en;es;ne")
    assert refused.status_code == 409
    assert current(app, sid)["hours"] == [("SA", "08:00:00")]  # the import's edit stays
    # A description edit reaches the search index through the change log.
    with app.app_context():
        operations.import_csv(_write(tmp_path / "text.csv", _rows(
            hours="Sa 08:00-11:00", pantry_text=" Sourdough on Saturdays.")))
    found = app.test_client().get("/api/v1/search?q=sourdough").get_json()["results"]
    assert [r["id"] for r in found] == [sid]
    assert current(app, sid)["version"] == before["version"] + 2


class SaveDuringStaging:
    """progress() callback: on the first call (the import has read the programs' versions
    and not written anything), someone saves the program's hours from another thread
    through the edit form (`sign_in()` gives their signed-in client)."""

    def __init__(self, app, sign_in, sid, stages):
        self.app, self.sign_in, self.sid, self.stages = app, sign_in, sid, stages
        self.status: list[int] = []

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.status or stage not in self.stages:
            return
        thread = threading.Thread(target=self._save)
        thread.start()
        thread.join(60)
        assert self.status == [303]

    def _save(self) -> None:
        editor = self.sign_in()
        self.status.append(save(editor, self.sid, edit_page(editor, self.sid),
                                hours="Su 12:00-15:00").status_code)


def test_an_agency_save_during_a_csv_reimport_stops_it_and_nothing_is_lost(app, people,
                                                                          tmp_path):
    sid = pantry(app)
    racing = SaveDuringStaging(app, lambda: people.login(app.test_client(), "agency_a"), sid,
                               ("staging programs",))
    path = _write(tmp_path / "edited.csv", _rows(edit=" Edited.", hours="Sa 08:00-11:00"))
    with app.app_context(), pytest.raises(StaleDataError):
        operations.import_csv(path, progress=racing)
    after = current(app, sid)
    assert after["hours"] == [("SU", "12:00:00")]  # the agency's save is kept
    with app.app_context():  # and nothing of the import was written (all or nothing)
        edited = db.session.scalars(select(m.Service.description)
                                    .where(m.Service.description.like("%Edited.")))
        assert list(edited) == []


def test_a_save_during_an_hsds_reimport_stops_it_and_nothing_is_lost(app, tmp_path):
    path = tmp_path / "directory.json"

    def directory(description: str) -> str:
        return json.dumps([{
            "id": f"00000000-0000-4000-8000-00000000000{i}", "name": f"Evening Meals {i}",
            "status": "active", "description": description,
            "organization": {"id": "00000000-0000-4000-8000-0000000000a1",
                             "name": "Hilltop Community Pantry"},
            "schedules": [{"id": f"s-{i}", "freq": "WEEKLY", "byday": "MO",
                           "opens_at": "17:00", "closes_at": "19:00"}],
        } for i in range(3)])

    path.write_text(directory("Hot meals every evening."))
    with app.app_context():
        assert import_path(path, source="meals").ok
        sid = db.session.scalar(select(m.Service.id).filter_by(name="Evening Meals 0"))
    editor = sign_in_admin(app)  # an admin may edit any listing
    racing = SaveDuringStaging(app, lambda: editor, sid, ("writing programs",))
    path.write_text(directory("Hot meals every evening. Edited."))
    with app.app_context():
        report = import_path(path, source="meals", progress=racing)
        assert not report.ok and not report.applied
        assert "StaleDataError" in str(report)
    assert racing.status == [303]
    assert current(app, sid)["hours"] == [("SU", "12:00:00")]
    with app.app_context():
        assert not list(db.session.scalars(select(m.Service.id).where(
            m.Service.description.like("%Edited."))))


def test_the_write_step_of_a_reimport_does_not_grow_with_the_programs_it_edits(app, tmp_path):
    """What other writers wait for: the statements (and parameter sets) run while the
    import writes. On the old code every edited program was an UPDATE of its own."""
    work: list[int] = []
    writing = False

    def counted(conn, cursor, statement, parameters, context, executemany):
        if writing:
            work[-1] += len(parameters) if executemany else 1

    original = csvload.write

    def write(staged):
        nonlocal writing
        work.append(0)
        writing = True
        try:
            original(staged)
        finally:
            writing = False

    csvload.write = write
    try:
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", counted)
            for copies in (1, 6):
                rows = _rows(copies)
                operations.import_csv(_write(tmp_path / f"{copies}.csv", rows))
                versions = _versions(app)
                operations.import_csv(_write(tmp_path / f"{copies}-edited.csv",
                                             _rows(copies, edit=f" Edit {copies}.",
                                                   hours="Sa 08:00-11:00")))
                edited = _versions(app)
                assert len(rows) == sum(edited[k] == versions[k] + 1 for k in versions)
            event.remove(db.engine, "before_cursor_execute", counted)
    finally:
        csvload.write = original
    small, large = work[1], work[3]  # the two edit imports (6 and 36 programs edited)
    assert large <= small, work
