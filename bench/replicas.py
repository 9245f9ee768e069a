"""Index replicas benchmark: how the change log behaves with one and two app nodes, and what
that means at ten.

On a synthetic directory of N programs (bench/search.py's generator, SQLite or a real
PostgreSQL server started for the run), it measures:

1. the change log's size per row (bytes on disk, table and index);
2. a node catching up on a backlog of K changes (`catch_up()`, the background thread's work),
   beside the reference: rebuilding that node's index from the database (`reindex`);
3. one background poll that finds nothing (what every process of every node does each
   RESDIR_INDEX_POLL_SECONDS);
4. freshness with real gunicorn nodes (1 worker each, separate index folders, one database):
   a program edited in the database (as another node's request would) is searched on every
   node until it is found; at 1 and at 2 nodes.

Then it computes 1, 2 and 10 nodes from those figures (each node applies every change
itself; nothing is shared but the database). Prints tables with the load average.

    python bench/replicas.py --n 20000
    python bench/replicas.py --n 20000 --db postgres
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_spec = importlib.util.spec_from_file_location("bench_search", ROOT / "bench" / "search.py")
search_bench = importlib.util.module_from_spec(_spec)
sys.modules["bench_search"] = search_bench  # dataclasses look their module up
_spec.loader.exec_module(search_bench)


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def make_app(url: str, index_dir: Path):
    from resdir import create_app

    return create_app({"RESDIR_DATABASE_URL": url, "RESDIR_INDEX_DIR": str(index_dir),
                       "RESDIR_INDEX_POLL_SECONDS": 0, "TESTING": True})


def load(app, n: int, seed: int) -> None:
    import csv

    from resdir.directory import operations

    with open(operations.CATEGORIES_FILE, encoding="utf-8") as handle:
        names = {row["slug"]: row["name"] for row in csv.DictReader(handle)}
    directory = search_bench.generate(n, seed, search_bench.pa_zips(), names)
    search_bench.load_database(app, directory, migrations=True)


def log_bytes(app, postgres: bool) -> int:
    from sqlalchemy import text

    from resdir.extensions import db

    with app.app_context():
        if postgres:
            size = db.session.scalar(text("SELECT pg_total_relation_size('index_change')"))
        else:
            db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            size = db.session.scalar(text(
                "SELECT sum(pgsize) FROM dbstat WHERE name LIKE '%index_change%'"))
        db.session.rollback()
        return int(size or 0)


def add_changes(app, count: int) -> None:
    """`count` log rows for existing programs, as an import touching them writes."""
    from sqlalchemy import insert, select

    from resdir.basics import utcnow
    from resdir.directory import models as m
    from resdir.extensions import db

    with app.app_context():
        ids = db.session.scalars(select(m.Service.id).limit(count)).all()
        rows = [{"service_id": ids[i % len(ids)], "created_at": utcnow()}
                for i in range(count)]
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(m.IndexChange), rows[start:start + 5000])
        db.session.commit()


def timed(app, fn) -> tuple[float, object]:
    with app.app_context():
        t0 = time.perf_counter()
        result = fn()
        return time.perf_counter() - t0, result


def freshness(url: str, nodes: list, edits: int) -> list[float]:
    """Seconds from an edit's commit until every node's search finds it."""
    from resdir.directory import indexing
    from resdir.directory import models as m
    from resdir.extensions import db

    app = make_app(url, Path(tempfile.mkdtemp(prefix="rdbench-unused-")))
    times = []
    with app.app_context():
        services = db.session.query(m.Service).filter_by(status="active").limit(edits).all()
        for n, service in enumerate(services):
            word = f"zqfresh{n}x"
            service.name = f"{service.name.split(' zq')[0]} {word}"
            indexing.commit()  # this process has no index of its own: only the log counts
            t0 = time.perf_counter()
            pending = list(nodes)
            while pending and time.perf_counter() - t0 < 30:
                pending = [node for node in pending if _hits(node.url, word) == 0]
                time.sleep(0.02)
            times.append(time.perf_counter() - t0 if not pending else float("inf"))
            time.sleep(0.3)
    return times


def _hits(base: str, word: str) -> int:
    import json

    with urllib.request.urlopen(f"{base}/api/v1/search?q={word}&status=any",
                                timeout=10) as response:
        return json.loads(response.read())["total"]


def table(rows: list[tuple]) -> str:
    return search_bench._table(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="programs (default 20000)")
    parser.add_argument("--backlog", type=int, default=20_000, help="changes to catch up on")
    parser.add_argument("--edits", type=int, default=10, help="edits timed for freshness")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    from resdir.directory import changelog, indexing
    from tests.servers import Gunicorn

    workdir = Path(tempfile.mkdtemp(prefix="rdbench-replicas-"))
    server = None
    try:
        if args.db == "postgres":
            from tests.pgserver import PgServer

            server = PgServer()
            server.start()
            server.execute("CREATE DATABASE bench")
            url = server.url("bench")
        else:
            url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        print(f"N={args.n} backlog={args.backlog} db={args.db} cores={os.cpu_count()} "
              f"load {_load()}", flush=True)
        app = make_app(url, workdir / "index-a")
        load(app, args.n, args.seed)
        build_s, _ = timed(app, indexing.reindex)
        empty = log_bytes(app, args.db == "postgres")
        add_changes(app, args.backlog)
        per_row = (log_bytes(app, args.db == "postgres") - empty) / args.backlog
        catch_s, (rows, programs) = timed(app, indexing.catch_up)
        poll_times = []
        for _ in range(50):
            t, _ = timed(app, lambda: indexing.catch_up(batches=1))
            poll_times.append(t)
        poll_s = statistics.median(poll_times)
        app_b = make_app(url, workdir / "index-b")
        join_s, _ = timed(app_b, indexing.reindex)
        for one in (app, app_b):
            with one.app_context():
                indexing.search_index().close()
                from resdir.extensions import db
                db.engine.dispose()
        print(f"load {_load()}")
        print(table([
            ("measure", "value"),
            ("log row on disk (table + index)", f"{per_row:.0f} bytes"),
            (f"catch-up of {args.backlog} log rows ({programs} programs)",
             f"{catch_s:.1f} s ({rows / catch_s:.0f} rows/s)"),
            (f"reference: rebuild of {args.n} programs (reindex)", f"{build_s:.1f} s"),
            ("a new node's first build (node B)", f"{join_s:.1f} s"),
            ("one poll finding nothing, whole pass (median of 50)",
             f"{poll_s * 1000:.2f} ms"),
        ]))

        env = {"RESDIR_DATABASE_URL": url, "RESDIR_SECRET_KEY": "bench",
               "RESDIR_MAIL_ENABLED": "false", "RESDIR_INDEX_POLL_SECONDS": "1.0"}
        fresh = {}
        node_a = Gunicorn({**env, "RESDIR_INDEX_DIR": str(workdir / "index-a")})
        node_b = Gunicorn({**env, "RESDIR_INDEX_DIR": str(workdir / "index-b")})
        with node_a:
            fresh[1] = freshness(url, [node_a], args.edits)
            with node_b:
                fresh[2] = freshness(url, [node_a, node_b], args.edits)
        print(f"load {_load()}")
        rows = [("nodes", "edit -> found on every node p50", "max", "how")]
        for nodes, times in fresh.items():
            rows.append((nodes, f"{statistics.median(times):.2f} s", f"{max(times):.2f} s",
                         "measured"))
        rows.append((10, f"{statistics.median(fresh[2]):.2f} s", f"{max(fresh[2]):.2f} s",
                     "computed: each node polls on its own; the slowest of 10 is near the max"))
        print(table(rows))

        workers, interval = 2, 1.0
        per_change = catch_s / max(args.backlog, 1)
        rows = [("nodes", "log rows per 20k-row import", "log size", "catch-up per node",
                 "polls/s reaching the DB", "time in empty polls per node",
                 "index writes per change")]
        for nodes in (1, 2, 10):
            polls = nodes * workers / interval
            rows.append((nodes, args.backlog if args.backlog == 20000 else "20000",
                         f"{20000 * per_row / 1e6:.1f} MB", f"{20000 * per_change:.0f} s",
                         f"{polls:.0f}", f"{workers / interval * poll_s * 1000:.1f} ms/s",
                         nodes))
        print("computed (2 workers per node, poll every 1 s; log size does not grow with "
              "nodes; every node applies each change itself, in parallel on its own CPU):")
        print(table(rows))
        print(f"load {_load()}  (changelog batch {changelog.BATCH} rows)")
    finally:
        if server:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
