"""Faults (issue 12, item 5): kill -9 during an import, a reindex and a burst of edits, and
PostgreSQL stopped mid-traffic. After each: no acknowledged write lost and nothing half
applied, `check-index` clean after the app's own recovery, the app serving again without a
manual step, and 5xx only during the outage, with a clear message. bench/faults.py runs the
same faults longer and bigger."""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
from pathlib import Path

import pytest

from resdir.directory import changelog, index_state, indexing
from resdir.directory import models as m
from resdir.extensions import db
from tests.faults_support import (
    OUTAGE_MESSAGE,
    Editor,
    Journal,
    check_edits,
    database_writing,
    directory_csv,
    index_writer_busy,
    kill9,
    start_threads,
    wait_caught_up,
)
from tests.servers import Gunicorn


def _forked(app, work):
    """Run `work()` in a forked process with an app of its own on the same database and
    index, as `flask --app wsgi resdir import|reindex` would (without a new interpreter's
    start-up time)."""
    from resdir import create_app

    config = {k: app.config[k] for k in ("RESDIR_DATABASE_URL", "RESDIR_INDEX_DIR",
                                         "RESDIR_SECRET_KEY", "RESDIR_MAIL_ENABLED")}

    def main():
        child = create_app({**config, "TESTING": True, "RESDIR_INDEX_POLL_SECONDS": 0})
        with child.app_context():
            work()

    with app.app_context():
        db.engine.dispose()  # no connection may cross the fork
    process = multiprocessing.get_context("fork").Process(target=main, daemon=True)
    process.start()
    return process


def _kill_when(process, ready, what: str) -> None:
    try:
        deadline = time.monotonic() + 60
        reached = False
        while process.is_alive() and time.monotonic() < deadline:
            reached = ready()
            if reached:
                break
            time.sleep(0.005)
        assert process.is_alive(), f"the {what} ended before it could be killed"
        assert reached, f"the {what} did not reach the moment of the kill within 60 s"
    finally:
        process.kill()  # SIGKILL
        process.join()


def _check_index(runner) -> None:
    result = runner.invoke(args=["resdir", "check-index"])
    assert result.exit_code == 0, result.output
    assert "changes not yet applied from the change log: 0" in result.output


def _service_ids(app) -> dict[str, str]:
    with app.app_context():
        found = dict(db.session.query(m.Service.name, m.Service.id))
        db.session.rollback()
        db.engine.dispose()  # the servers started next open their own connections
    return found


# -- a node far behind rebuilds ----------------------------------------------------------


def _backlog(app, count: int, word: str) -> None:
    """`count` programs committed without touching this node's index (as another node or
    an import on another machine would)."""
    with app.app_context():
        org = m.Organization(name=f"{word} agency")
        for n in range(count):
            db.session.add(m.Service(organization=org, name=f"{word} program {n}",
                                     description=f"{word} services", status="active"))
        db.session.commit()


def test_a_node_far_behind_the_change_log_rebuilds_instead_of_catching_up(app, client, mini,
                                                                          caplog):
    app.config["RESDIR_INDEX_REBUILD_BACKLOG"] = 50
    with app.app_context():
        index = indexing.search_index()
        before = index.generation()
        _backlog(app, 30, "wombat")  # under the threshold: caught up in place
        assert indexing.tick() is False
        assert index.generation() == before
        _backlog(app, 120, "quokka")  # over it: a fresh generation built from the database
        assert indexing.tick() is False
        assert index.generation() != before
        assert index_state.pending_count() == 0
    assert client.get("/api/v1/search?q=quokka").get_json()["total"] == 120
    assert client.get("/api/v1/search?q=wombat").get_json()["total"] == 30
    assert "more than 50 change-log rows were waiting" in caplog.text


# -- PostgreSQL stopped mid-traffic --------------------------------------------------------


@pytest.mark.postgres
def test_postgres_stopped_mid_traffic(app, people, pg_server, runner, tmp_path, node_env):
    ids = _service_ids(app)
    log = tmp_path / "gunicorn.log"
    journal = Journal()
    with Gunicorn(node_env(RESDIR_INDEX_POLL_SECONDS="0.2"), workers=2, log=log) as server:
        editors = [Editor(server.url, ids[name], people.tokens["admin"], journal, f"e{n}")
                   for n, name in enumerate(["Hilltop Food Pantry", "Night Crisis Line"])]
        pantry = ids["Hilltop Food Pantry"]

        def reader(stop):
            while not stop.is_set():
                journal.call("search", "GET", server.url + "/api/v1/search?q=food")
                journal.call("program page", "GET", f"{server.url}/programs/{pantry}",
                             headers={"Accept": "text/html"})
                stop.wait(0.02)

        stop = threading.Event()
        threads = start_threads([e.run for e in editors] + [reader], stop)
        time.sleep(1.0)
        down = time.monotonic()
        pg_server.halt()
        time.sleep(2.0)
        pg_server.resume()
        up = time.monotonic()
        time.sleep(2.0)
        stop.set()
        for thread in threads:
            thread.join(30)
        caught_up = wait_caught_up(server.url)
        after = [journal.call("search", "GET", server.url + "/api/v1/search?q=food")[0]
                 for _ in range(10)]
    # 5xx only while the database was away (and the in-flight requests it cut), all 503
    # with the plain message, none a 500 or a traceback page.
    errors = journal.server_errors()
    assert errors, "the outage was not seen by any request"
    # On failure, the server's own account of each 500 (its "unhandled error" lines name the
    # exception and the frames) says which path did not see the outage as one.
    lines = log.read_text().splitlines()
    unhandled = ["\n".join(lines[n:n + 10]) for n, line in enumerate(lines)
                 if "unhandled error" in line]
    assert [(e.route, e.status, e.body[:300]) for e in errors if e.status != 503] == [], (
        unhandled)
    late = [e for e in errors if e.started > up + 1.0 or e.ended < down]
    assert late == [], late
    assert all(OUTAGE_MESSAGE in e.body and "Traceback" not in e.body for e in errors)
    # The program page reads the database: it saw the outage. The API's search answers from
    # the index alone (no database rows since ea910ad), so it kept answering all along.
    assert "program page" in {e.route for e in errors}
    searching = [o.status for o in journal.outcomes
                 if o.route == "search" and o.started >= down and o.ended <= up]
    assert searching and set(searching) == {200}, searching
    assert after == [200] * 10 and caught_up["status"] == "ok"
    edits = [o for o in journal.outcomes if o.route == "PATCH program" and o.status == 200]
    assert any(o.started > up for o in edits), "no edit went through after the outage"
    assert check_edits(app, editors) == []
    _check_index(runner)
    # Each worker's index thread said once that the database went away and once that it
    # came back; nothing logged a traceback.
    text = log.read_text()
    assert text.count("index sync: the database is not answering") == 2, text[-3000:]
    assert text.count("index sync: the database answers again") == 2
    assert "Traceback" not in text


# -- kill -9 of a web worker during a burst of edits ---------------------------------------


def test_kill_9_of_a_worker_during_a_burst_of_edits(app, people, runner, tmp_path, node_env):
    ids = _service_ids(app)
    log = tmp_path / "gunicorn.log"
    journal = Journal()
    with Gunicorn(node_env(RESDIR_INDEX_POLL_SECONDS="0.2"), workers=2, log=log) as server:
        editors = [Editor(server.url, ids[name], people.tokens["admin"], journal, f"e{n}")
                   for n, name in enumerate(sorted(ids))]
        stop = threading.Event()
        threads = start_threads([e.run for e in editors], stop)
        deadline = time.monotonic() + 20
        while sum(len(e.acknowledged) for e in editors) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        victim = server.ready_workers()[0]
        kill9(victim)
        acknowledged_at_kill = sum(len(e.acknowledged) for e in editors)
        while (sum(len(e.acknowledged) for e in editors) < acknowledged_at_kill + 6
               and time.monotonic() < deadline):
            time.sleep(0.05)
        stop.set()
        for thread in threads:
            thread.join(30)
        assert len(server.wait_workers(2)) == 2, "gunicorn did not replace the killed worker"
        caught_up = wait_caught_up(server.url)
        after = [journal.call("search", "GET", server.url + "/api/v1/search?q=edited&status=any")
                 for _ in range(10)]
    assert sum(len(e.acknowledged) for e in editors) >= acknowledged_at_kill + 6
    assert journal.server_errors() == []
    assert check_edits(app, editors) == []
    assert caught_up["status"] == "ok"
    assert [status for status, _ in after] == [200] * 10
    # Every program's last edit is what search finds.
    assert json.loads(after[-1][1])["total"] == len(editors)
    _check_index(runner)


# -- kill -9 during an import ---------------------------------------------------------------

IMPORT_ROWS = 400


def _bulk_count(app) -> int:
    with app.app_context():
        count = db.session.query(m.Service).filter(m.Service.source_key.like("csv:bulk-%")).count()
        db.session.rollback()
        return count


def _stalled_after(module, name: str, reached):
    """In a forked child: make module.name run as before, then set `reached` and stay there
    until the child is killed (the moment a kill -9 is to land, whatever the machine's
    load: left to run, the 400-row import's write and index write each took ~0.1 s, a
    window that the test's 5 ms polls could miss on a busy machine)."""
    real = getattr(module, name)

    def stalled(*args, **kwargs):
        result = real(*args, **kwargs)
        reached.set()
        time.sleep(600)  # killed here
        return result

    setattr(module, name, stalled)


def test_kill_9_during_an_import(app, mini, runner, tmp_path):
    from resdir.directory import csvload, operations
    from resdir.search import writing

    url = app.config["RESDIR_DATABASE_URL"]
    path = directory_csv(tmp_path / "bulk.csv", IMPORT_ROWS)
    fork = multiprocessing.get_context("fork")

    def import_stalled_after(module, name, reached):
        def run_import():
            _stalled_after(module, name, reached)
            operations.import_csv(path)

        return run_import

    # 1. Killed while its transaction is open (every row written, not committed): nothing
    # of it is in the database.
    written = fork.Event()
    _kill_when(_forked(app, import_stalled_after(csvload, "write", written)),
               lambda: written.is_set() and database_writing(url), "import")
    assert _bulk_count(app) == 0
    _check_index(runner)
    # 2. Killed after its commit, while it writes the index (documents written, the
    # index's write lock held, not committed): every program is in the database, and the
    # app's own background sync brings the index up to date.
    indexing_now = fork.Event()
    _kill_when(_forked(app, import_stalled_after(writing, "write_documents", indexing_now)),
               lambda: indexing_now.is_set()
               and index_writer_busy(app.config["RESDIR_INDEX_DIR"])
               and _bulk_count(app) == IMPORT_ROWS, "import")
    assert _bulk_count(app) == IMPORT_ROWS
    app.config["RESDIR_INDEX_POLL_SECONDS"] = 0.1
    with app.app_context():
        db.engine.dispose()
    indexing.start_sync(app)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with app.app_context():
                if index_state.pending_count() == 0:
                    break
            time.sleep(0.1)
    finally:
        changelog.stop(app)
    _check_index(runner)
    found = app.test_client().get("/api/v1/search?q=numbat&per_page=1").get_json()
    assert found["total"] == IMPORT_ROWS


# -- kill -9 during a reindex ---------------------------------------------------------------


def test_kill_9_during_a_reindex_while_edits_go_on(app, mini, people, runner, tmp_path):
    with app.app_context():
        indexing.reindex()
        live = indexing.search_index().generation()
        db.engine.dispose()
    index_dir = Path(app.config["RESDIR_INDEX_DIR"])
    client = app.test_client()
    pantry = _service_ids(app)["Hilltop Food Pantry"]
    # The build stops once its new generation is written, before the swap, until it is
    # killed: a 1,000-program build left to run finished before the test's edit in one run
    # of about ten under load.
    built = multiprocessing.get_context("fork").Event()

    def reindex_stalled_before_the_swap():
        from resdir.search import writing

        _stalled_after(writing, "write_segments", built)
        indexing.reindex()

    build = _forked(app, reindex_stalled_before_the_swap)

    def building_then_edited() -> bool:
        if not built.is_set():
            return False
        assert [p for p in index_dir.glob("gen-*") if p.name != live], "no build under way"
        # An edit committed while the build runs; then the build dies before its swap.
        version = client.get(f"/api/v1/services/{pantry}").get_json()["version"]
        response = client.patch(f"/api/v1/services/{pantry}", headers=people.bearer("admin"),
                                json={"program_description": "Numbat soup on Fridays.",
                                      "version": version})
        assert response.status_code == 200
        return True

    _kill_when(build, building_then_edited, "reindex")
    with app.app_context():
        assert indexing.search_index().generation() == live  # the swap never happened
    names = [r["name"] for r in client.get("/api/v1/search?q=numbat").get_json()["results"]]
    assert names == ["Hilltop Food Pantry"]
    _check_index(runner)
    # The killed build holds no lock: the next one runs, and keeps the edit.
    result = runner.invoke(args=["resdir", "reindex"])
    assert result.exit_code == 0, result.output
    names = [r["name"] for r in client.get("/api/v1/search?q=numbat").get_json()["results"]]
    assert names == ["Hilltop Food Pantry"]
    _check_index(runner)


# -- concurrent searches in one process (gunicorn's threads) ---------------------------------


def test_concurrent_searches_in_one_process_read_the_index_safely(app, client, mini):
    # Segment files are read without mmap: two threads reading one segment at once got each
    # other's bytes (UnpicklingError: 500s under gunicorn's two threads per worker).
    words = [f"zorb{chr(98 + a)}{chr(98 + b)}k" for a in range(20) for b in range(20)]
    with app.app_context():
        org = m.Organization(name="Many words agency")
        for word in words:
            db.session.add(m.Service(organization=org, name=f"Program {word}",
                                     description=f"{word} help", status="active"))
        db.session.commit()
        indexing.reindex()
    failures: list[str] = []

    def search(part: list[str]) -> None:
        local = app.test_client()
        for word in part:
            response = local.get(f"/api/v1/search?q={word}")
            if response.status_code != 200 or response.get_json()["total"] != 1:
                failures.append(f"{word}: {response.status_code} {response.get_data()[:80]}")

    threads = [threading.Thread(target=search, args=(words[n::4],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
