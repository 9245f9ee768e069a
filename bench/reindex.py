"""Reindex benchmark: `indexing.reindex()` on a bench workdir's database, timed in wall and
CPU seconds, with its peak RSS and the load average, optionally beside a busy process.

    python bench/search.py --n 100000 --workdir /tmp/rd100k     # makes the database
    python bench/reindex.py --workdir /tmp/rd100k               # rebuilds its index
    python bench/reindex.py --workdir /tmp/rd100k --busy        # with a CPU-bound process

The build runs in a process of its own, as `resdir reindex` does (bench/search.py's
`--build-index` child). `--busy` starts a process that spins on the CPU for the whole build
(issue 12: the targets hold "even with another process busy"). CPU seconds are the build
process's own (and its Whoosh writer processes'): on a shared machine they hold where wall
time does not. See bench/README.md.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import time
from pathlib import Path

import search as base  # bench/search.py (this folder is on sys.path when run as a script)

TARGETS = {100_000: 60.0, 300_000: 180.0}  # seconds, issue 12
RSS_TARGET_MB = 800.0


def _spin(stop) -> None:
    while not stop.is_set():
        sum(range(10_000))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", required=True, help="a bench/search.py or match.py workdir")
    parser.add_argument("--procs", type=int, default=1, help="Whoosh writer processes")
    parser.add_argument("--busy", action="store_true", help="spin one process meanwhile")
    args = parser.parse_args(argv)
    workdir = Path(args.workdir)
    if not (workdir / base.DB_NAME).exists():
        raise SystemExit(f"{workdir / base.DB_NAME}: no database (run bench/search.py first)")
    stop = multiprocessing.Event()
    busy = multiprocessing.Process(target=_spin, args=(stop,)) if args.busy else None
    if busy:
        busy.start()
    load_before = os.getloadavg()[0]
    shutil.rmtree(workdir / base.INDEX_NAME, ignore_errors=True)
    t0 = time.perf_counter()
    try:
        built = base.run_child("build-index", workdir, "--procs", str(args.procs))
    finally:
        if busy:
            stop.set()
            busy.join()
    wall = time.perf_counter() - t0
    n = built["count"]
    print(f"reindex of {n:,} programs  procs={args.procs}  busy process: "
          f"{'yes' if busy else 'no'}  cores={os.cpu_count()}  load {load_before:.1f} -> "
          f"{os.getloadavg()[0]:.1f}")
    print(base._table([
        ("", "wall s", "CPU s", "documents wall s", "documents CPU s", "whoosh CPU s",
         "peak RSS MB", "index MB"),
        ("reindex", f"{built['build_s']:.1f}", f"{built['cpu_s']:.1f}",
         f"{built['documents_s']:.1f}", f"{built['documents_cpu_s']:.1f}",
         f"{built['whoosh_cpu_s']:.1f}", f"{built['rss_mb']:.0f}", f"{built['index_mb']:.1f}"),
    ]))
    target = TARGETS.get(n)
    if target:
        print(f"targets: CPU {built['cpu_s']:.1f} s {'<=' if built['cpu_s'] <= target else '>'} "
              f"{target:g} s, wall {built['build_s']:.1f} s, peak RSS {built['rss_mb']:.0f} MB "
              f"{'<=' if built['rss_mb'] <= RSS_TARGET_MB else '>'} {RSS_TARGET_MB:g} MB "
              f"(child process total {wall:.1f} s)")


if __name__ == "__main__":
    main()
