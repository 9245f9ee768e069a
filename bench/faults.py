"""Fault suite: resdir served by real gunicorn on a synthetic directory, with faults injected
under traffic, and what a user or operator would notice checked after each.

    python bench/faults.py --n 5000                    # SQLite: the three kill -9 faults
    python bench/faults.py --n 5000 --db postgres      # PostgreSQL: also the server stopped

Faults: (1) kill -9 of a gunicorn worker during a burst of edits, (2) kill -9 of
`resdir import` while its transaction is open and again while it writes the index after its
commit, (3) kill -9 of `resdir reindex` while an edit is committed, (4) PostgreSQL stopped
(`pg_ctl stop -m immediate`, a crash) for --outage seconds while searches, program pages and
edits go on. Readers (searches, program pages) run through every fault. After each: every
edit the client saw acknowledged is in the database, whole; `resdir check-index` is clean
once the node's own background sync has caught up (no manual step); the node serves again;
5xx only while the database was away, each a 503 with the plain message. Prints one table;
exits 1 if a check failed. Loopback only; the workdir is removed unless --keep.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import common  # noqa: E402  (bench/common.py: this folder is on sys.path)

from tests import faults_support as support  # noqa: E402
from tests.servers import Gunicorn  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_replicas", ROOT / "bench" / "replicas.py")
replicas = importlib.util.module_from_spec(_spec)
sys.modules["bench_replicas"] = replicas
_spec.loader.exec_module(replicas)

FLASK = str(Path(sys.executable).parent / "flask")


class Run:
    """The node under test: database, index folder, gunicorn, readers, and the results."""

    def __init__(self, args, workdir: Path, url: str, pg):
        self.args, self.workdir, self.url, self.pg = args, workdir, url, pg
        self.index_dir = workdir / "index"
        self.env = {"RESDIR_DATABASE_URL": url, "RESDIR_INDEX_DIR": str(self.index_dir),
                    "RESDIR_SECRET_KEY": "bench-faults", "RESDIR_MAIL_ENABLED": "false"}
        self.log = workdir / "gunicorn.log"
        self.app = replicas.make_app(url, self.index_dir)
        self.rows: list[tuple] = []
        self.failed = False

    def flask(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([FLASK, "--app", "wsgi", "resdir", *args], cwd=ROOT,
                                env={**os.environ, **self.env}, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)

    def check_index(self) -> str:
        process = self.flask("check-index")
        out, _ = process.communicate()
        clean = process.returncode == 0 and "not yet applied from the change log: 0" in out
        return "clean" if clean else "DRIFT: " + " / ".join(out.strip().splitlines())

    def record(self, fault: str, check: str, result: str, ok: bool) -> None:
        self.rows.append((fault, check, result, "ok" if ok else "FAILED"))
        self.failed |= not ok
        print(f"  {fault}: {check}: {result}", flush=True)


def prepare(args, workdir: Path, url: str) -> tuple[dict[str, str], str]:
    """N programs (bench/search.py's generator), an index, an admin with an API token."""
    from resdir.auth import operations as auth
    from resdir.directory import indexing
    from resdir.directory import models as m
    from resdir.extensions import db

    app = replicas.make_app(url, workdir / "index")
    replicas.load(app, args.n, args.seed)
    with app.app_context():
        indexing.reindex()
        admin = auth.create_user("admin@bench.example", "admin", password="bench faults pass")
        token = auth.create_api_token(admin)
        ids = dict(db.session.query(m.Service.name, m.Service.id)
                   .filter(m.Service.status == "active").limit(args.editors))
        db.session.commit()
        indexing.search_index().close()
        db.engine.dispose()
    return ids, token


def readers(run: Run, server: Gunicorn, journal: support.Journal, some_id: str):
    def read(stop: threading.Event) -> None:
        while not stop.is_set():
            journal.call("search", "GET", server.url + "/api/v1/search?q=food&zip=15213")
            journal.call("program page", "GET", f"{server.url}/programs/{some_id}",
                         headers={"Accept": "text/html"})
            stop.wait(0.05)
    return [read] * 2


class Traffic:
    """Readers (and, with `editors`, one editor a program) running against the node until
    `halt()`, every answer written to one journal."""

    def __init__(self, run: Run, server: Gunicorn, ids, token=None, editors: str = "") -> None:
        self.journal = support.Journal()
        self.editors = [support.Editor(server.url, sid, token, self.journal, f"{editors}{n}")
                        for n, sid in enumerate(ids.values())] if editors else []
        self.stop = threading.Event()
        self.threads = support.start_threads(
            [e.run for e in self.editors]
            + readers(run, server, self.journal, next(iter(ids.values()))), self.stop)

    def halt(self) -> list:
        """Stop every thread and return the 5xx answers they saw."""
        self.stop.set()
        for thread in self.threads:
            thread.join(60)
        return self.journal.server_errors()


def fault_worker_kill(run: Run, server: Gunicorn, ids, token) -> None:
    name = "kill -9 web worker during edits"
    traffic = Traffic(run, server, ids, token, editors="w")
    editors = traffic.editors
    time.sleep(run.args.seconds / 2)
    victim = server.ready_workers()[0]
    support.kill9(victim)
    time.sleep(run.args.seconds / 2)
    errors = traffic.halt()
    acked = sum(len(e.acknowledged) for e in editors)
    lost = sum(1 for o in traffic.journal.outcomes if o.status is None)
    run.record(name, "edits acknowledged / requests without answer (killed mid-request)",
               f"{acked} / {lost}", acked > 0)
    problems = support.check_edits(run.app, editors)
    run.record(name, "acknowledged edits in the database, whole", "; ".join(problems) or "all",
               not problems)
    run.record(name, "5xx answers", str(len(errors)), not errors)
    finish(run, server, name)


def finish(run: Run, server: Gunicorn, name: str) -> None:
    started = time.monotonic()
    try:
        body = support.wait_caught_up(server.url, within=run.args.recover_within)
        caught = f"{time.monotonic() - started:.1f} s (seq {body['index']['applied_seq']})"
        ok = True
    except AssertionError as exc:
        caught, ok = str(exc)[:200], False
    run.record(name, "node healthy, nothing pending, after", caught, ok)
    report = run.check_index()
    run.record(name, "resdir check-index", report, report == "clean")
    statuses = [support.Journal().call("search", "GET", server.url + "/api/v1/search?q=food")[0]
                for _ in range(5)]
    run.record(name, "serving after (5 searches)", str(statuses), statuses == [200] * 5)


def _kill_when(process: subprocess.Popen, ready, within: float = 300) -> bool:
    deadline = time.monotonic() + within
    while not ready() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    alive = process.poll() is None
    process.kill()
    process.wait()
    return alive


def _count(run: Run, prefix: str) -> int:
    from resdir.directory import models as m
    from resdir.extensions import db

    with run.app.app_context():
        found = db.session.query(m.Service).filter(
            m.Service.source_key.like(f"csv:{prefix}-%")).count()
        db.session.rollback()
        return found


def fault_import_kill(run: Run, server: Gunicorn, ids, token) -> None:
    name = "kill -9 resdir import"
    traffic = Traffic(run, server, ids)
    path = support.directory_csv(run.workdir / "import.csv", run.args.import_rows, "faultimport")
    killed = _kill_when(run.flask("import", str(path)), lambda: support.database_writing(run.url))
    found = _count(run, "faultimport")
    run.record(name, "killed with its transaction open; its programs in the database",
               f"{found} (killed: {killed})", killed and found == 0)
    killed = _kill_when(run.flask("import", str(path)), lambda: support.index_writer_busy(
        run.index_dir) and _count(run, "faultimport") == run.args.import_rows)
    found = _count(run, "faultimport")
    run.record(name, "killed after its commit, writing the index; programs in the database",
               f"{found} of {run.args.import_rows} (killed: {killed})",
               killed and found == run.args.import_rows)
    finish(run, server, name)
    errors = traffic.halt()
    run.record(name, "5xx answers to readers", str(len(errors)), not errors)


def fault_reindex_kill(run: Run, server: Gunicorn, ids, token) -> None:
    name = "kill -9 resdir reindex"
    traffic = Traffic(run, server, ids)
    sid = next(iter(ids.values()))
    live = (run.index_dir / "CURRENT").read_text().strip()
    build = run.flask("reindex")
    edited = {}

    def building_then_edited() -> bool:
        if not [p for p in run.index_dir.glob("gen-*") if p.name != live]:
            return False
        _, body = support.call("GET", f"{server.url}/api/v1/services/{sid}")
        status, _ = support.call("PATCH", f"{server.url}/api/v1/services/{sid}",
                                 headers={"Authorization": f"Bearer {token}"},
                                 body={"program_description": "Wombat stew during the rebuild.",
                                       "version": json.loads(body)["version"]})
        edited["status"] = status
        return True

    killed = _kill_when(build, building_then_edited)
    run.record(name, "killed mid-build, after an edit was acknowledged",
               f"killed: {killed}, edit: {edited.get('status')}",
               killed and edited.get("status") == 200)
    still = (run.index_dir / "CURRENT").read_text().strip()
    run.record(name, "live generation unchanged", str(still == live), still == live)
    finish(run, server, name)
    _, body = support.call("GET", server.url + "/api/v1/search?q=wombat+stew")
    names = [r["id"] for r in json.loads(body)["results"]]
    run.record(name, "the edit is searchable", str(sid in names), sid in names)
    errors = traffic.halt()
    run.record(name, "5xx answers to readers", str(len(errors)), not errors)


def fault_database_down(run: Run, server: Gunicorn, ids, token) -> None:
    name = f"PostgreSQL down {run.args.outage:g} s"
    traffic = Traffic(run, server, ids, token, editors="d")
    editors, journal = traffic.editors, traffic.journal
    time.sleep(run.args.seconds / 2)
    before_log = run.log.read_text()
    down = time.monotonic()
    run.pg.halt("immediate")
    time.sleep(run.args.outage)
    run.pg.resume()
    up = time.monotonic()
    time.sleep(run.args.seconds / 2)
    errors = traffic.halt()
    outside = [e for e in errors if e.ended < down or e.started > up + 1.0]
    not_plain = [e for e in errors if e.status != 503 or support.OUTAGE_MESSAGE not in e.body]
    after = [o for o in journal.outcomes if o.started > up and o.status == 200]
    first = min((o.ended for o in after), default=None)
    run.record(name, "5xx during the outage (all 503 with the plain message)",
               f"{len(errors)} ({len(not_plain)} other)", errors and not not_plain)
    run.record(name, "5xx outside the outage (+1 s)", str(len(outside)), not outside)
    run.record(name, "first 200 after the server was back",
               f"{first - up:.2f} s" if first else "none", first is not None)
    problems = support.check_edits(run.app, editors)
    acked = sum(len(e.acknowledged) for e in editors)
    run.record(name, "acknowledged edits in the database, whole",
               f"{acked} acknowledged; " + ("; ".join(problems) or "all there"), not problems)
    finish(run, server, name)
    log = run.log.read_text()[len(before_log):]
    gone = log.count("index sync: the database is not answering")
    back = log.count("index sync: the database answers again")
    tracebacks = log.count("Traceback")
    run.record(name, "log: 'not answering' / 'answers again' lines, tracebacks",
               f"{gone} / {back}, {tracebacks}",
               gone == back == run.args.workers and tracebacks == 0)


def table(rows: list[tuple]) -> str:
    head = ("fault", "check", "result", "")
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5000, help="programs (default 5000)")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--editors", type=int, default=6, help="programs edited at once")
    parser.add_argument("--seconds", type=float, default=6, help="traffic around each fault")
    parser.add_argument("--outage", type=float, default=10, help="seconds PostgreSQL is down")
    parser.add_argument("--import-rows", type=int, default=2000, help="programs imported")
    parser.add_argument("--recover-within", type=float, default=300,
                        help="seconds allowed for the node to catch up after a fault")
    parser.add_argument("--faults", default="worker,import,reindex,database",
                        help="which faults (database: PostgreSQL only)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the workdir")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="resdir-faults-"))
    pg = None
    print(f"load average {os.getloadavg()[0]:.1f} at start; workdir {workdir}", flush=True)
    try:
        if args.db == "postgres":
            from tests.pgserver import PgServer

            pg = PgServer(durable=True)  # fsync on: a crash must not lose a commit
            pg.start()
            pg.execute("CREATE DATABASE resdir_faults")
            url = pg.url("resdir_faults")
        else:
            url = f"sqlite:///{workdir / 'resdir.sqlite3'}"
        started = time.perf_counter()
        ids, token = prepare(args, workdir, url)
        print(f"{args.n} programs loaded and indexed in {time.perf_counter() - started:.0f} s",
              flush=True)
        run = Run(args, workdir, url, pg)
        chosen = {"worker": fault_worker_kill, "import": fault_import_kill,
                  "reindex": fault_reindex_kill, "database": fault_database_down}
        faults = [chosen[name] for name in args.faults.split(",")
                  if name != "database" or pg is not None]
        with Gunicorn(run.env, workers=args.workers, log=run.log) as server:
            for fault in faults:
                print(f"{fault.__name__} ...", flush=True)
                fault(run, server, ids, token)
        print(f"\nresdir fault suite: {args.db}, N={args.n}, {args.workers} gunicorn workers, "
              f"load average {os.getloadavg()[0]:.1f} at the end\n")
        print(table(run.rows))
        with run.app.app_context():
            from resdir.extensions import db

            db.engine.dispose()
    finally:
        common.stop_and_clean(pg, workdir, args.keep)
    sys.exit(1 if run.failed else 0)


if __name__ == "__main__":
    main()
