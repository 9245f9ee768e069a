"""How long a `resdir import` keeps other writers (signed-in pages) waiting on SQLite.

Issue 9, item 4: while an import held SQLite's write lock (35 s for 20k rows), every
signed-in page that writes failed. This script makes a directory CSV of N programs (the
seed's rows repeated under new keys), sets up a fresh SQLite database, runs the real
`flask --app wsgi resdir import FILE` in a subprocess, and meanwhile, every 20 ms, opens a
write transaction of its own (`BEGIN IMMEDIATE; COMMIT`, what a signed-in page's write
needs) and records how long it waited. It prints the import's wall time, the longest
wait, and how many writes waited over 1 s and over 15 s (the app's SQLite busy timeout:
a page waiting longer fails), with the same loop run beside it with no import running
(the reference). A second run imports the same file again (all rows unchanged), a third
the file with every description edited (all rows updated), a fourth the file with every
program's hours and languages edited too (all their child rows replaced). Then the same for
an HSDS 3.0 JSON file of N programs: new, then every program edited (description, hours).

    python bench/import_lock.py --n 20000
    python bench/import_lock.py --n 20000 --before /tmp/old-main   # a clone of older code

`--before DIR` runs the same three imports with the code in DIR (a git clone at an older
commit) on a database of its own, first, and prints its rows beside this tree's.
    python bench/import_lock.py --n 2000 --hsds ../shared/external/hsds-1.1-open211-miami/data
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "seed_resources.csv"
BUSY_TIMEOUT_S = 15  # resdir/__init__.py: SQLite connections wait this long for a lock


def make_csv(path: Path, n: int, edit: str = "", children: bool = False) -> None:
    with SEED.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header, seed = reader.fieldnames, list(reader)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, header)
        writer.writeheader()
        for i in range(n):
            row = dict(seed[i % len(seed)])
            copy = i // len(seed)
            for key in ("organization_key", "location_key"):
                row[key] = f"{row[key]}-{copy}"
            row["program_key"] = f"p{i}"
            row["program_description"] += edit
            if children:
                row["hours"], row["languages"] = "Mo-Sa 07:00-19:30", "en;es;vi"
            writer.writerow(row)


def make_hsds(path: Path, n: int, edit: str = "") -> None:
    """HSDS 3.0 JSON: N programs of N/10 organizations, each at a location of its own, with
    a phone and weekly hours; `edit` changes every description and every hours row."""
    services = []
    for i in range(n):
        org = i // 10
        services.append({
            "id": f"svc-{i}", "name": f"Program {i}", "status": "active",
            "description": f"Help of kind {i % 37} for the neighbourhood.{edit}",
            "organization": {"id": f"org-{org}", "name": f"Organization {org}"},
            "phones": [{"id": f"ph-{i}", "number": f"412-555-{i % 10000:04d}"}],
            "schedules": [{"id": f"sch-{i}-{d}", "freq": "WEEKLY", "byday": d,
                           "opens_at": "09:00" if not edit else "08:30", "closes_at": "17:00"}
                          for d in ("MO", "WE", "FR")],
            "service_at_locations": [{"id": f"sal-{i}", "location": {
                "id": f"loc-{i}", "name": f"Site {i}", "latitude": 40.44, "longitude": -79.99,
                "addresses": [{"id": f"adr-{i}", "address_1": f"{i} Liberty Ave",
                               "city": "Pittsburgh", "state_province": "PA",
                               "postal_code": "15222", "country": "US"}]}}],
        })
    path.write_text(json.dumps(services), encoding="utf-8")


def probe(database: Path, stop: threading.Event, waits: list[float]) -> None:
    """A writer beside the import: how long each write transaction waits for the lock."""
    while not stop.is_set():
        conn = sqlite3.connect(database, timeout=600, isolation_level=None)
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        waits.append(time.perf_counter() - started)
        conn.execute("COMMIT")
        conn.close()
        time.sleep(0.02)


def run(env: dict, args: list[str], database: Path,
        root: Path = ROOT) -> tuple[float, float, list[float]]:
    waits: list[float] = []
    stop = threading.Event()
    thread = threading.Thread(target=probe, args=(database, stop, waits))
    thread.start()
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "resdir", *args],
                          cwd=root, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    cpu = _children_cpu() - cpu  # the import process's own CPU time (a loaded machine)
    stop.set()
    thread.join()
    if done.returncode:
        sys.exit(f"import failed:\n{done.stdout}\n{done.stderr}")
    return seconds, cpu, waits


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def reference(database: Path, seconds: float = 2.0) -> list[float]:
    waits: list[float] = []
    stop = threading.Event()
    thread = threading.Thread(target=probe, args=(database, stop, waits))
    thread.start()
    time.sleep(seconds)
    stop.set()
    thread.join()
    return waits


def line(name: str, seconds: float | None, waits: list[float], cpu: float | None = None) -> str:
    over1 = sum(w > 1 for w in waits)
    over15 = sum(w > BUSY_TIMEOUT_S for w in waits)
    wall = f"{seconds:8.1f}" if seconds is not None else "       -"
    cpu_s = f"{cpu:6.1f}" if cpu is not None else "     -"
    return (f"{name:<46} {wall} {cpu_s} {len(waits):7d} {statistics.median(waits) * 1000:9.1f} "
            f"{max(waits) * 1000:9.0f} {over1:6d} {over15:6d}")


def setup(workdir: Path, name: str, root: Path) -> tuple[dict, Path]:
    """A fresh SQLite database for the code in `root`; its environment and path."""
    database = workdir / f"{name}.sqlite3"
    database.unlink(missing_ok=True)
    env = {**os.environ, "RESDIR_DATABASE_URL": f"sqlite:///{database}",
           "RESDIR_INDEX_DIR": str(workdir / f"{name}-index"),
           "RESDIR_SEED_FILE": str(workdir / "none"), "RESDIR_INDEX_POLL_SECONDS": "0"}
    shutil.rmtree(workdir / f"{name}-index", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "resdir", "init-db"],
                   cwd=root, env=env, check=True, capture_output=True)
    return env, database


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="programs in the CSV")
    parser.add_argument("--hsds", help="also import this HSDS file or folder")
    parser.add_argument("--workdir", help="keep the database and files here")
    parser.add_argument("--before", help="a checkout of older code to run first, beside")
    args = parser.parse_args(argv)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="resdir-import-lock-"))
    workdir.mkdir(parents=True, exist_ok=True)
    first, edited = workdir / "directory.csv", workdir / "edited.csv"
    details = workdir / "details.csv"
    make_csv(first, args.n)
    make_csv(edited, args.n, edit=" Edited.")
    make_csv(details, args.n, edit=" Edited again.", children=True)
    hsds_new, hsds_edited = workdir / "directory.json", workdir / "edited.json"
    make_hsds(hsds_new, args.n)
    make_hsds(hsds_edited, args.n, edit=" Edited.")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'run':<46} {'import s':>8} {'cpu s':>6} {'writes':>7} {'p50 ms':>9} {'max ms':>9} "
          f"{'>1 s':>6} {'>15 s':>6}")
    trees = [("before: ", Path(args.before).resolve())] if args.before else []
    for label, root in [*trees, ("" if not trees else "now: ", ROOT)]:
        env, database = setup(workdir, "before" if label == "before: " else "resdir", root)
        print(line(label + "reference: no import running", None, reference(database)))
        for name, file in ((f"CSV, {args.n} new programs", first),
                           ("same CSV again (unchanged)", first),
                           ("CSV with every program edited", edited),
                           ("CSV, every program + hours, languages", details),
                           (f"HSDS JSON, {args.n} new programs", hsds_new),
                           ("HSDS JSON with every program edited", hsds_edited)):
            seconds, cpu, waits = run(env, ["import", str(file)], database, root)
            print(line(label + name, seconds, waits, cpu))
        if args.hsds:
            seconds, cpu, waits = run(env, ["import", args.hsds], database, root)
            print(line(f"{label}HSDS {Path(args.hsds).parent.name}"[:40], seconds, waits, cpu))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
