"""Searches after writes (issue 12): what a program edit costs the searches that follow it,
and whether the writing process grows.

Uses a workdir that bench/search.py made (database and index, kept with --workdir). In one
process, as a worker that both edits and searches: warms the caches with the query set,
then `--updates` times rewrites one random program's document through
`SearchIndex.update` (as a saved edit does) and runs the next 10 queries of the set. Prints
CPU time per search warm, right after a write, and in the 10 after it; the process's RSS
and open files at start and end; and the load average.

    python bench/search.py --n 100000 --workdir /tmp/rd100k     # once, to make the data
    python bench/writes.py --workdir /tmp/rd100k --updates 60
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

import search as base  # bench/search.py (this folder is on sys.path when run as a script)


def cpu_ms(fn) -> float:
    t0 = time.process_time()
    fn()
    return (time.process_time() - t0) * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", required=True, help="a workdir bench/search.py kept")
    parser.add_argument("--updates", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    workdir = Path(args.workdir)

    from sqlalchemy import select
    from werkzeug.datastructures import MultiDict

    from resdir.directory import indexing, searching
    from resdir.directory import models as m
    from resdir.directory.documents import documents
    from resdir.extensions import db

    app = base.make_app(workdir)
    queries = json.loads((workdir / "queries.json").read_text())
    rnd = random.Random(args.seed)
    with app.test_request_context():
        index = indexing.search_index()
        requests = [searching.parse(MultiDict({k: str(v) for k, v in q.items()})).request
                    for q in queries]
        ids = list(db.session.scalars(select(m.Service.id)))
        for req in requests * 2:
            index.search(req)
        warm = [cpu_ms(lambda r=r: index.search(r)) for r in requests]
        start_rss, start_files = base.rss_now_mb(), len(os.listdir("/proc/self/fd"))
        first, following, writes = [], [], []
        for i in range(args.updates):
            docs = list(documents([rnd.choice(ids)], "America/New_York"))
            db.session.rollback()
            writes.append(cpu_ms(lambda d=docs: index.update(d)))
            batch = [requests[(i * 10 + k) % len(requests)] for k in range(10)]
            first.append(cpu_ms(lambda r=batch[0]: index.search(r)))
            following.extend(cpu_ms(lambda r=r: index.search(r)) for r in batch[1:])
        end_rss, end_files = base.rss_now_mb(), len(os.listdir("/proc/self/fd"))

    def pct(values: list[float]) -> str:
        ordered = sorted(values)
        return (f"{ordered[len(ordered) // 2]:.1f} / "
                f"{ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]:.1f}")

    print(f"workdir {workdir}  programs {len(ids):,}  updates {args.updates}  "
          f"cores {os.cpu_count()}  load {os.getloadavg()[0]:.1f}")
    print(base._table([
        ("searches (CPU ms)", "p50 / p95"),
        ("warm, before any write", pct(warm)),
        ("first search after each write", pct(first)),
        ("the 9 searches after that", pct(following)),
        ("the write itself (update + opening the next searcher)", pct(writes)),
    ]))
    print(f"process RSS {start_rss:.0f} -> {end_rss:.0f} MB, open files {start_files} -> "
          f"{end_files} after {args.updates} writes  (load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
