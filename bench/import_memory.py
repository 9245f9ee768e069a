"""Peak memory of importing a big HSDS JSON file (issue 9, item 8: a 160 MB JSON drove a
web worker to 3.4 GB).

Writes a JSON list of HSDS 3.0 service objects (each with its organization, a location
with its address, phones, hours and a long description; invented data) of about `--mb`
megabytes, then, each in a fresh process, measures the peak resident memory (ru_maxrss)
and the wall time of:

- reference: the app built, nothing read (the floor every process pays);
- read: the file read into HSDS tables (`detect.read`, the step that parsed the whole
  document with json.loads and now streams it with ijson);
- import: `flask --app wsgi resdir import FILE --dry-run` (read, checked, planned and
  written, then rolled back) on an empty SQLite database (only with `--full`: slow).

With `--before DIR` (a clone of older code) the same rows are printed for it first.

    python bench/import_memory.py --mb 160
    python bench/import_memory.py --mb 40 160 --before /tmp/old-main --full

With several sizes, each is measured in turn and a last table gives the peak per size and
the growth per MB of file between the smallest and the largest (what still grows with the
file, issue 9 item 8).
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = ("food pantry groceries rent help housing shelter utility bill assistance job "
         "training counseling clinic dental transport youth senior veterans legal aid "
         "benefits enrollment walk-in appointment referral required documents").split()

CHILD = """
import json, resource, sys, time
from pathlib import Path
from resdir import create_app
from resdir.interop.hsds_import import detect
from resdir.interop.hsds_import.report import ImportReport
app = create_app({"RESDIR_DATABASE_URL": sys.argv[1], "RESDIR_INDEX_DIR": sys.argv[2]})
started = time.perf_counter()
records = 0
if sys.argv[3] == "read":
    with app.app_context():
        report = ImportReport(sys.argv[4])
        dataset = detect.read(Path(sys.argv[4]), report)
        records = sum(len(rows) for rows in dataset.tables.values())
        assert report.ok, report.entries[:3]
print(json.dumps({"seconds": time.perf_counter() - started, "records": records}))
"""


def service(i: int) -> dict:
    words = " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(120))
    org, loc = f"org-{i // 3}", f"loc-{i // 2}"
    return {
        "id": f"svc-{i}", "name": f"Neighborhood {WORDS[i % len(WORDS)]} program {i}",
        "status": "active", "description": words.capitalize() + ".",
        "email": f"program{i}@example.org", "url": f"https://example.org/p/{i}",
        "organization": {"id": org, "name": f"Helping Hands {i // 3}",
                         "description": "A community organization."},
        "phones": [{"id": f"ph-{i}", "number": f"412-555-{i % 10000:04d}", "type": "voice"}],
        "schedules": [{"id": f"sc-{i}-{d}", "byday": d, "opens_at": "09:00",
                       "closes_at": "17:00", "freq": "WEEKLY"} for d in ("MO", "WE", "FR")],
        "languages": [{"id": f"la-{i}", "name": "Spanish", "code": "es"}],
        "service_at_locations": [{"id": f"sal-{i}", "location": {
            "id": loc, "name": f"Site {i // 2}", "location_type": "physical",
            "latitude": 40.44 + (i % 100) / 1000, "longitude": -79.99 + (i % 77) / 1000,
            "addresses": [{"id": f"ad-{i // 2}", "address_1": f"{i % 900 + 100} Main St",
                           "city": "Pittsburgh", "state_province": "PA",
                           "postal_code": "15213", "country": "US",
                           "address_type": "physical"}]}}],
    }


def make_json(path: Path, megabytes: float) -> int:
    """A JSON list of services of about that size; returns how many."""
    target = int(megabytes * 1024 * 1024)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        while out.tell() < target:
            out.write(("," if count else "") + json.dumps(service(count)))
            count += 1
        out.write("]")
    return count


def run_child(args: list[str], root: Path, env: dict) -> tuple[float, float, dict]:
    """A child process measured with wait4 (its own peak, not the largest child's)."""
    process = subprocess.Popen(args, cwd=root, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    started = time.perf_counter()
    out = bytearray()
    err = bytearray()
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ, out)
    selector.register(process.stderr, selectors.EVENT_READ, err)
    open_streams = 2
    while open_streams:
        for key, _ in selector.select():
            chunk = os.read(key.fileobj.fileno(), 65536)
            if not chunk:
                selector.unregister(key.fileobj)
                open_streams -= 1
            else:
                key.data.extend(chunk)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    text = out.decode(errors="replace")
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"failed: {' '.join(args[:6])}\n{text[-2000:]}\n"
                 f"{err.decode(errors='replace')[-2000:]}")
    lines = [line for line in text.splitlines() if line.startswith("{")]
    return seconds, usage.ru_maxrss / 1024, json.loads(lines[-1]) if lines else {}


def measure(workdir: Path, path: Path, label: str, root: Path, full: bool):
    """(step, seconds, peak RSS MB, output) of each step, each in a fresh process."""
    database = workdir / f"{label}.sqlite3"
    database.unlink(missing_ok=True)
    url, index = f"sqlite:///{database}", str(workdir / f"{label}-index")
    env = {**os.environ, "RESDIR_DATABASE_URL": url, "RESDIR_INDEX_DIR": index,
           "RESDIR_SEED_FILE": str(workdir / "none"), "RESDIR_INDEX_POLL_SECONDS": "0"}
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "resdir", "init-db"],
                   cwd=root, env=env, check=True, capture_output=True)
    steps = [("reference", [sys.executable, "-c", CHILD, url, index, "none", str(path)]),
             ("read", [sys.executable, "-c", CHILD, url, index, "read", str(path)])]
    if full:
        steps.append(("import", [sys.executable, "-m", "flask", "--app", "wsgi", "resdir",
                                 "import", str(path), "--dry-run"]))
    for step, command in steps:
        yield (step, *run_child(command, root, env))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, nargs="+", default=[160.0],
                        help="size(s) of the JSON file")
    parser.add_argument("--before", help="a checkout of older code, measured first")
    parser.add_argument("--full", action="store_true", help="also a whole --dry-run import")
    parser.add_argument("--workdir", help="keep the files here")
    args = parser.parse_args(argv)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="resdir-import-memory-"))
    workdir.mkdir(parents=True, exist_ok=True)
    trees = [("before", Path(args.before).resolve())] if args.before else []
    peaks: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for megabytes in args.mb:
        path = workdir / "directory.json"
        count = make_json(path, megabytes)
        size = path.stat().st_size / 1024 / 1024
        print(f"{size:.0f} MB JSON, {count} services; "
              f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'code':<8} {'step':<10} {'seconds':>8} {'peak RSS MB':>12} {'records':>9}")
        for label, root in [*trees, ("now", ROOT)]:
            for step, seconds, peak, out in measure(workdir, path, label, root, args.full):
                print(f"{label:<8} {step:<10} {seconds:8.1f} {peak:12.0f} "
                      f"{out.get('records', ''):>9}")
                peaks.setdefault((label, step), []).append((size, peak))
    if len(args.mb) > 1:
        print(f"{'code':<8} {'step':<10} " + " ".join(f"{s:>9.0f} MB" for s, _ in
                                                      next(iter(peaks.values())))
              + f" {'MB RSS per MB of file':>22}")
        for (label, step), points in peaks.items():
            (small, low), (large, high) = points[0], points[-1]
            print(f"{label:<8} {step:<10} " + " ".join(f"{p:>9.0f} MB" for _, p in points)
                  + f" {(high - low) / (large - small):>22.2f}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
