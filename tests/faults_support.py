"""Traffic and checks shared by tests/test_faults.py and bench/faults.py: clients that edit
programs and remember what the server acknowledged, a log of every request's outcome, and
the checks made after a fault (no acknowledged write lost, nothing half applied, the index
clean, the app serving again)."""

from __future__ import annotations

import csv
import fcntl
import http.client
import json
import os
import re
import signal
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

# What the app answers while the database is away (resdir/errors.py).
OUTAGE_MESSAGE = "The database is not answering right now."


@dataclass
class Outcome:
    route: str
    started: float
    ended: float
    status: int | None  # None: no HTTP answer (connection refused or cut)
    body: str = ""


def call(method: str, url: str, headers: dict | None = None, body: dict | None = None,
         timeout: float = 20) -> tuple[int | None, str]:
    """One HTTP request on a new connection: (status or None, body text)."""
    data = json.dumps(body).encode() if body is not None else None
    heads = dict(headers or {})
    if data is not None:
        heads["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=heads)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except (OSError, http.client.HTTPException) as exc:
        # Refused, reset, timed out, or cut off mid-answer (a worker killed while it wrote
        # the body: IncompleteRead): no answer, so the edit's outcome is unknown.
        return None, type(exc).__name__


class Journal:
    """Every request's outcome, from every client thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.outcomes: list[Outcome] = []

    def call(self, route: str, method: str, url: str, **kwargs) -> tuple[int | None, str]:
        started = time.monotonic()
        status, body = call(method, url, **kwargs)
        with self.lock:
            self.outcomes.append(Outcome(route, started, time.monotonic(), status, body))
        return status, body

    def server_errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status is not None and o.status >= 500]


@dataclass
class Editor:
    """Edits one program again and again through PATCH /api/v1/services/<id>: each edit
    writes the same marker into two columns of the program and a row of a child table
    (what to bring), so a half-applied edit shows as different markers."""

    base: str
    service_id: str
    token: str
    journal: Journal
    name: str
    acknowledged: list[str] = field(default_factory=list)
    # Markers sent after the last acknowledged one whose answer never came: the server may
    # or may not have committed them.
    unanswered: list[str] = field(default_factory=list)
    conflicts: int = 0

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def run(self, stop: threading.Event) -> None:
        version = None
        number = 0
        while not stop.is_set():
            if version is None:
                status, body = self.journal.call("GET program (API)", "GET",
                                                 f"{self.base}/api/v1/services/{self.service_id}")
                if status != 200:
                    stop.wait(0.05)
                    continue
                version = json.loads(body)["version"]
            number += 1
            marker = f"{self.name}-{number}"
            status, body = self.journal.call(
                "PATCH program", "PATCH", f"{self.base}/api/v1/services/{self.service_id}",
                headers=self.headers(), body={
                    "program_description": f"Edited {marker}.",
                    "application_process": f"Apply {marker}.",
                    "required_documents": f"Paper {marker}", "version": version})
            if status == 200:
                self.acknowledged.append(marker)
                self.unanswered.clear()
                version = json.loads(body)["version"]
            else:
                if status is None or status >= 500:
                    self.unanswered.append(marker)
                elif status == 409:
                    self.conflicts += 1
                version = None  # read it again (an unanswered edit may have committed)
                stop.wait(0.02)


def start_threads(targets, stop: threading.Event) -> list[threading.Thread]:
    threads = [threading.Thread(target=t, args=(stop,), daemon=True) for t in targets]
    for thread in threads:
        thread.start()
    return threads


def check_edits(app, editors: list[Editor]) -> list[str]:
    """Problems with what the database holds for the editors' programs: the last
    acknowledged edit (or one sent after it whose answer never came) must be there, whole."""
    from resdir.directory import models as m
    from resdir.extensions import db

    problems = []
    with app.app_context():
        for editor in editors:
            if not editor.acknowledged and not editor.unanswered:
                continue
            service = db.session.get(m.Service, editor.service_id)
            documents = sorted(d.document for d in service.required_documents)
            markers = {re.sub(r"^Edited (.*)\.$", r"\1", service.description or ""),
                       re.sub(r"^Apply (.*)\.$", r"\1", service.application_process or ""),
                       *(d.removeprefix("Paper ") for d in documents)}
            allowed = set(editor.acknowledged[-1:]) | set(editor.unanswered)
            if len(markers) != 1 or len(documents) != 1:
                problems.append(f"{editor.name}: half-applied edit {sorted(markers)}")
            elif editor.acknowledged and not markers <= allowed:
                problems.append(f"{editor.name}: database has {markers.pop()}, last "
                                f"acknowledged {editor.acknowledged[-1]}")
        db.session.rollback()
    return problems


def wait_caught_up(url: str, within: float = 30) -> dict:
    """Poll /healthz until the node is healthy with nothing left to apply."""
    deadline = time.monotonic() + within
    body: dict | str = {}
    while time.monotonic() < deadline:
        status, text = call("GET", url + "/healthz", timeout=5)
        if status == 200:
            body = json.loads(text)
            if body["index"]["pending"] == 0:
                return body
        time.sleep(0.1)
    raise AssertionError(f"{url} not caught up within {within}s: {body}")


def kill9(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


from tests.fixture_dates import MINI_CSV  # noqa: E402  (the verification dates moved to today)


def directory_csv(path: Path, rows: int, prefix: str = "bulk") -> Path:
    """A directory CSV of `rows` invented programs in the seed format (tests/data/mini.csv's
    first row with new keys, names and a description holding the word "numbat")."""
    with open(MINI_CSV, newline="", encoding="utf-8") as handle:
        template = next(csv.DictReader(handle))
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(template))
        writer.writeheader()
        for n in range(rows):
            writer.writerow({**template, "organization_key": f"{prefix}-org-{n // 10}",
                             "organization_name": f"{prefix.title()} Agency {n // 10}",
                             "program_key": f"{prefix}-{n}",
                             "program_name": f"{prefix.title()} Program {n}",
                             "program_description": f"Numbat meals, batch {n}.",
                             "location_key": f"{prefix}-loc-{n // 10}"})
    return path


def database_writing(url: str) -> bool:
    """Another connection holds an open write transaction on the database."""
    if url.startswith("sqlite"):
        probe = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    with psycopg.connect(dbname=parsed.database, user=parsed.username,
                         host=parsed.query["host"], port=int(parsed.query["port"])) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                            "current_database() AND backend_xid IS NOT NULL").fetchone()[0] > 0


def index_writer_busy(index_dir: str | Path) -> bool:
    """A process holds the live generation's Whoosh write lock (an flock)."""
    root = Path(index_dir)
    try:
        generation = (root / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return False
    path = root / generation / "MAIN_WRITELOCK"
    if not path.exists():
        return False
    with open(path, "rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False
