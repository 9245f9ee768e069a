"""Steady-state memory of gunicorn workers under a long run of distinct searches.

Serves a directory that `bench/search.py --workdir DIR --keep` made (its database and
index) with real gunicorn and gunicorn.conf.py, sends `--searches` API searches that never
repeat (nothing a worker kept can answer them: every one is worked out), and prints each
worker's RSS (and its private part) every `--every` searches with the load average, until
the figures stop growing. `--tree DIR` serves another checkout's code (the same virtualenv)
in the same run, for before/after; `--inside` runs the same searches in this process
through Flask's test client and prints what the index's caches hold (bytes by kind) and
the largest allocation sites (tracemalloc) instead.

    python bench/search.py --n 100000 --workdir /tmp/rd100k --keep   # once
    python bench/worker_rss.py --workdir /tmp/rd100k --searches 20000 --every 2000
    python bench/worker_rss.py --workdir /tmp/rd100k --tree /tmp/old-checkout
    python bench/worker_rss.py --workdir /tmp/rd100k --inside --searches 4000

The queries are bench/search.py's (1-2 words, a category, a Pennsylvania ZIP, 5-25 miles)
with, in a share `--filters` of them, one more filter a user would add (an age, a
language, open on a day and hour, a capacity, a second category, or page 2).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import search as search_bench  # noqa: E402  (bench/search.py)

from tests.servers import GUNICORN, Gunicorn  # noqa: E402

DAYS = ["mo", "tu", "we", "th", "fr", "sa", "su"]
CAPACITIES = ["capacity", "waitlist", "no-capacity", "unknown"]
LANGUAGES = ["es", "zh", "vi", "ru", "ar", "fr"]
# A client reconnects after this many searches: a gthread worker keeps every keep-alive
# connection it accepted, so with long-lived connections one worker may serve them all.
RECONNECT = 20


def distinct_queries(count: int, seed: int, filters: float) -> list[dict]:
    """`count` searches, no two alike (bench/search.py's, some with one filter more)."""
    zips = search_bench.pa_zips()
    slugs = sorted(search_bench.CATEGORY_WORDS)
    rnd = random.Random(seed)
    seen, out = set(), []
    while len(out) < count:
        for query in search_bench.make_queries(count, rnd.randrange(1 << 30), zips):
            if rnd.random() < filters:
                kind = rnd.randrange(6)
                if kind == 0:
                    query["age"] = rnd.randrange(0, 100)
                elif kind == 1:
                    query["language"] = rnd.choice(LANGUAGES)
                elif kind == 2:
                    query["open_day"] = rnd.choice(DAYS)
                    query["open_time"] = f"{rnd.randrange(6, 22):02d}:{rnd.choice(['00', '30'])}"
                elif kind == 3:
                    query["capacity"] = rnd.choice(CAPACITIES)
                elif kind == 4:
                    query["category"] = [query["category"], rnd.choice(slugs)]
                else:
                    query["page"] = 2
            text = urllib.parse.urlencode(query, doseq=True)
            if text not in seen:
                seen.add(text)
                out.append(text)
            if len(out) == count:
                break
    return out


# -- gunicorn workers ---------------------------------------------------------------------


def workers_of(master: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            found.append(int(stat.parent.name))
    return sorted(found)


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, private RSS) of a process in MB; private leaves out pages still shared with
    the gunicorn master (copy-on-write after the fork)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0, 0.0
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    private = sum(int(x) for x in re.findall(r"Private_(?:Clean|Dirty):\s+(\d+)", rollup))
    return rss / 1024, private / 1024


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve(args, tree: Path, queries: list[str], label: str) -> list[list]:
    """Searches through gunicorn serving `tree`'s code; a row per `--every` searches."""
    env = {"RESDIR_DATABASE_URL": f"sqlite:///{args.workdir / search_bench.DB_NAME}",
           "RESDIR_INDEX_DIR": str(args.workdir / search_bench.INDEX_NAME),
           "RESDIR_SECRET_KEY": "worker-rss", "RESDIR_MAIL_ENABLED": "false",
           "PYTHONPATH": str(tree), **dict(kv.split("=", 1) for kv in args.env)}
    log = Path(tempfile.mkdtemp(prefix="resdir-rss-")) / "gunicorn.log"
    server = Gunicorn(env, workers=args.workers, log=log)
    # This virtualenv, `tree`'s gunicorn.conf.py and code (tests.servers.Gunicorn's socket).
    server._out = open(log, "ab")  # noqa: SIM115
    server.process = subprocess.Popen(
        [str(GUNICORN), "-c", str(tree / "gunicorn.conf.py"), "--bind",
         f"fd://{server.listener.fileno()}", "--workers", str(args.workers), "wsgi:app"],
        cwd=tree, env=server.env, stdout=server._out, stderr=subprocess.STDOUT,
        pass_fds=(server.listener.fileno(),))
    _wait_healthy(server)
    rows = []
    try:
        pending = iter(queries)
        lock = threading.Lock()
        done = [0]
        errors = [0]
        marks = set(range(args.every, len(queries) + 1, args.every))
        started, master = time.monotonic(), server.process.pid
        cpu0 = {pid: cpu_seconds(pid) for pid in workers_of(master)}

        def note(count: int) -> None:
            pids = workers_of(master)
            mem = [memory_mb(pid) for pid in pids]
            cpu = sum(cpu_seconds(pid) - cpu0.get(pid, 0.0) for pid in pids)
            rows.append([label, count, ", ".join(f"{r:.0f}" for r, _ in mem),
                         ", ".join(f"{p:.0f}" for _, p in mem),
                         f"{1000 * cpu / count:.1f}" if count else "-",
                         f"{os.getloadavg()[0]:.1f}",
                         f"{time.monotonic() - started:.0f}", ",".join(map(str, pids))])
            print("| " + " | ".join(map(str, rows[-1])) + " |", flush=True)

        def client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
            sent = 0
            while True:
                with lock:
                    query = next(pending, None)
                if query is None:
                    break
                sent += 1
                if sent % RECONNECT == 0:  # a new connection: the kernel picks a worker again
                    conn.close()
                try:
                    conn.request("GET", "/api/v1/search?" + query)
                    response = conn.getresponse()
                    response.read()
                    ok = response.status == 200
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
                    ok = False
                with lock:
                    done[0] += 1
                    errors[0] += not ok
                    count = done[0]
                if count in marks:
                    note(count)
            conn.close()

        note(0)  # the workers as started (the first request of each opens the index)
        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors[0]:
            print(f"{label}: {errors[0]} searches failed (log: {log})")
    finally:
        server.stop()
    shutil.rmtree(log.parent, ignore_errors=True)
    return rows


def _wait_healthy(server: Gunicorn, within: float = 180) -> None:
    from tests.servers import get

    deadline = time.monotonic() + within
    while time.monotonic() < deadline and server.process.poll() is None:
        try:
            if (get(server.url + "/healthz", timeout=2)[0] == 200
                    and len(workers_of(server.process.pid)) == server.workers):
                return
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise SystemExit(f"gunicorn did not start (log: {server.log})")


# -- in this process: what the caches hold -------------------------------------------------


def inside(args, queries: list[str]) -> None:
    import tracemalloc

    from resdir import create_app
    from resdir.directory import indexing

    app = create_app({
        "RESDIR_DATABASE_URL": f"sqlite:///{args.workdir / search_bench.DB_NAME}",
        "RESDIR_INDEX_DIR": str(args.workdir / search_bench.INDEX_NAME),
        "RESDIR_INDEX_SYNC": False, "RESDIR_INDEX_POLL_SECONDS": 0, "TESTING": True})
    client = app.test_client()
    client.get("/api/v1/search?" + queries[0])
    if args.trace:
        tracemalloc.start(8)
        snap0 = tracemalloc.take_snapshot()
    rss0 = memory_mb(os.getpid())[0]
    for n, query in enumerate(queries, 1):
        response = client.get("/api/v1/search?" + query)
        if response.status_code != 200:
            raise SystemExit(f"{query}: HTTP {response.status_code}")
        if n % args.every == 0:
            traced = tracemalloc.get_traced_memory()[0] / 2**20
            print(f"{n} searches: RSS {memory_mb(os.getpid())[0]:.0f} MB (from {rss0:.0f}), "
                  + (f"traced {traced:.0f} MB, " if args.trace else "")
                  + f"load {os.getloadavg()[0]:.1f}", flush=True)
    with app.app_context():
        index = indexing.search_index()
        print("\n| what | entries | MB |\n| --- | --- | --- |")
        for name, entries, size in cache_sizes(index):
            print(f"| {name} | {entries} | {size / 2**20:.1f} |")
    print(malloc_mb())
    if not args.trace:
        return
    print("\nlargest growth by allocation site (tracemalloc, 8 frames, top 15):")
    for stat in tracemalloc.take_snapshot().compare_to(snap0, "traceback")[:15]:
        frames = [f"{Path(f.filename).name}:{f.lineno}" for f in reversed(stat.traceback[-5:])]
        print(f"  {stat.size_diff / 2**20:7.1f} MB {stat.count_diff:8d} blocks  "
              + " <- ".join(frames))


def cache_sizes(index) -> list[tuple[str, int, int]]:
    """(kind, entries, bytes) of what the index's segment caches and its view hold."""
    import numpy as np

    seen: set[int] = set()  # each object once (equal masks and closures are shared)

    def size(value) -> int:
        if id(value) in seen:
            return 0
        seen.add(id(value))
        if isinstance(value, np.ndarray):
            return value.nbytes
        if isinstance(value, tuple | list):
            return sys.getsizeof(value) + sum(size(v) for v in value)
        if isinstance(value, dict):
            return sys.getsizeof(value) + sum(size(k) + size(v) for k, v in value.items())
        return sys.getsizeof(value)

    def entries(value) -> int:
        if isinstance(value, np.ndarray):
            return int(np.count_nonzero(value))
        return len(value or ())

    out = []
    segments = list(index._segments._segments.values())
    for attr in ("postings", "cells"):
        items = [v for s in segments for v in getattr(s, attr).items.values()]
        out.append((f"segments: {attr}", len(items), sum(size(v) for v in items)))
    for attr in ("ids", "lengths", "multi", "doc_ids", "closed", "names"):
        values = [getattr(s, attr) for s in segments]
        out.append((f"segments: {attr}", sum(entries(v) for v in values),
                    sum(size(v) for v in values if v is not None)))
    out.append(("segments: points", len(segments),
                sum(s.lat.nbytes + s.lon.nbytes + s.geo_loaded.nbytes for s in segments)))
    view = index._view
    if view is not None:
        for attr in ("_ids", "_masks"):
            value = getattr(view, attr)
            out.append((f"view: {attr[1:]}", len(value), size(value)))
        for attr in ("_postings", "_frequencies", "answers"):
            items = list(getattr(view, attr).items.values())
            out.append((f"view: {attr.lstrip('_')}", len(items), sum(size(v) for v in items)))
    from resdir.search import snippets

    for name, kept in vars(snippets).items():
        if hasattr(kept, "cache_info"):  # functools.lru_cache
            out.append((f"snippets: {name} (entries only)", kept.cache_info().currsize, 0))
    for attr in ("_derived",):
        value = getattr(view, attr, None) if view is not None else None
        if isinstance(value, dict):
            out.append((f"view: {attr[1:]}", len(value), size(value)))
    return out


def malloc_mb() -> str:
    """glibc's view of the heap: in use, and free but kept by the allocator."""
    import ctypes

    class Info(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
            "uordblks", "fordblks", "keepcost")]

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = Info
    except (OSError, AttributeError):
        return "-"
    info = libc.mallinfo2()
    return (f"malloc: heap {info.arena / 2**20:.0f} MB (in use {info.uordblks / 2**20:.0f}, "
            f"free but kept {info.fordblks / 2**20:.0f}), mmapped {info.hblkhd / 2**20:.0f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, required=True,
                        help="a folder bench/search.py --keep made (database and index)")
    parser.add_argument("--searches", type=int, default=20_000)
    parser.add_argument("--every", type=int, default=2000, help="print every N searches")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--filters", type=float, default=0.3,
                        help="share of searches with one more filter (default 0.3)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--tree", type=Path, action="append", default=[],
                        help="also serve this checkout's code first (before/after)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for gunicorn (e.g. MALLOC_ARENA_MAX=2)")
    parser.add_argument("--inside", action="store_true",
                        help="in this process (no gunicorn): what the index's caches hold")
    parser.add_argument("--trace", action="store_true",
                        help="with --inside: the largest allocation sites (tracemalloc; slow)")
    args = parser.parse_args(argv)
    meta = json.loads((args.workdir / "meta.json").read_text())
    queries = distinct_queries(args.searches, args.seed, args.filters)
    print(f"{meta} in {args.workdir}; {len(queries)} distinct searches, {args.clients} "
          f"clients, {args.workers} workers; load {os.getloadavg()[0]:.1f}", flush=True)
    if args.inside:
        inside(args, queries)
        return
    header = ("| code | searches | RSS per worker MB | private MB | workers' CPU ms per search "
              "| load | s | worker pids |")
    print(header)
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for tree in [*args.tree, ROOT]:
        serve(args, tree.resolve(), queries, "this tree" if tree == ROOT else str(tree))
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
