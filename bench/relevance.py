"""Relevance of lay queries on the real shared directories: resdir against plain FTS5 BM25.

For each dataset (211 Miami, Washington DC, San Mateo) the source files are imported into
a fresh SQLite database with resdir's own importer and indexed (`reindex`), then every
judged query of bench/relevance/<dataset>.json runs through `GET /api/v1/search` (top 10,
no place given). The baseline is a plain SQLite FTS5 table (porter unicode61) over the same
texts resdir indexes (name; organization, category names, source taxonomy terms,
description), any word of the query, ranked by bm25 with the name weighted 2. See
bench/README.md for the metrics and how the judgments were made.

    python bench/relevance.py [--datasets miami,dc,san_mateo] [--show] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from relevance_judge import DATASETS, default_external  # noqa: E402

K = 10
# Each query runs a second time near a ZIP of the dataset's region, within NEAR_MILES:
# then distance, capacity and staleness enter the ranking, and only the judged programs
# within the radius count.
NEAR = {"miami": "33125", "dc": "20001", "san_mateo": "94063"}
NEAR_MILES = 10.0
TARGET_P10 = 0.90
TARGET_MARGIN = 0.10


def load(name: str, folder: Path, workdir: Path, reuse: bool = False):
    """An app on a fresh database holding the dataset, indexed. Returns (app, seconds).
    With `reuse`, a database left in the workdir by an earlier run is kept (reindexed)."""
    from resdir import create_app
    from resdir.directory import indexing, operations
    from resdir.extensions import db
    from resdir.interop.hsds_import import import_path
    from resdir.matching.operations import ensure_crosswalk

    home = workdir / name
    reuse = reuse and (home / "resdir.sqlite3").exists()
    if not reuse:
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
    app = create_app({
        "RESDIR_DATABASE_URL": f"sqlite:///{home / 'resdir.sqlite3'}",
        "RESDIR_INDEX_DIR": str(home / "index"),
        "RESDIR_SECRET_KEY": "bench",
        "RESDIR_MAIL_ENABLED": False,
    })
    started = time.perf_counter()
    with app.app_context():
        if reuse:
            db.create_all()  # tables added since that database was made
            indexing.reindex()
            return app, time.perf_counter() - started
        db.create_all()
        operations.ensure_categories()
        ensure_crosswalk()
        db.session.commit()
        path = folder / "data" if (folder / "data" / "services.csv").exists() else folder
        report = import_path(str(path), source=name)
        if not report.ok:
            raise SystemExit(f"{name}: import failed:\n{report}")
        indexing.reindex()
    return app, time.perf_counter() - started


def source_ids(app, name: str) -> dict[str, str]:
    """resdir service id -> the source's service id."""
    from sqlalchemy import select

    from resdir.directory.models import Service
    from resdir.extensions import db

    prefix = f"hsds:{name}:service:"
    with app.app_context():
        rows = db.session.execute(select(Service.id, Service.source_key, Service.status)).all()
    return {r.id: r.source_key[len(prefix):] for r in rows
            if r.source_key and r.source_key.startswith(prefix) and r.status == "active"}


def categorized(app) -> tuple[int, int]:
    from resdir.directory import documents

    with app.app_context():
        docs = [d for d in documents.documents(None, "America/New_York") if d.status == "active"]
    return sum(1 for d in docs if d.categories), len(docs)


def within(app, zip_code: str) -> set[str]:
    """Active programs with a location within NEAR_MILES of the ZIP's centre."""
    from resdir.directory import documents
    from resdir.geo import distance_mi, lookup_zip

    place = lookup_zip(zip_code)
    centre = (place.latitude, place.longitude)
    with app.app_context():
        return {d.id for d in documents.documents(None, "America/New_York")
                if d.status == "active"
                and any(distance_mi(centre, p) <= NEAR_MILES for p in d.points)}


def build_fts(app, path: Path) -> sqlite3.Connection:
    """FTS5 over the texts resdir indexes (from the same documents), active programs."""
    from resdir.directory import documents

    con = sqlite3.connect(path)
    con.execute("CREATE VIRTUAL TABLE fts USING fts5(id UNINDEXED, name, body, "
                "tokenize='porter unicode61')")
    with app.app_context():
        rows = [
            (d.id, d.name, " ".join([d.organization, *d.category_names, *d.terms, d.text]))
            for d in documents.documents(None, "America/New_York") if d.status == "active"
        ]
    con.executemany("INSERT INTO fts VALUES (?, ?, ?)", rows)
    con.commit()
    return con


def fts_search(con: sqlite3.Connection, text: str, only: set[str] | None = None) -> list[str]:
    """Top K by bm25 (name weighted 2); with `only`, the top K of those programs."""
    words = re.findall(r"\w+", text.lower())
    if not words:
        return []
    match = " OR ".join(f'"{w}"' for w in words)
    rows = con.execute(
        "SELECT id FROM fts WHERE fts MATCH ? ORDER BY bm25(fts, 0.0, 2.0, 1.0), id LIMIT ?",
        (match, K if only is None else 100000))
    return [r[0] for r in rows if only is None or r[0] in only][:K]


def resdir_search(client, text: str, **place) -> list[str]:
    response = client.get("/api/v1/search", query_string={"q": text, "per_page": K, **place})
    if response.status_code != 200:
        raise SystemExit(f"search {text!r} answered {response.status_code}: {response.text}")
    return [r["id"] for r in response.get_json()["results"]]


def precision(ranked: list[str], relevant: set[str]) -> float:
    """Relevant programs in the top K, out of min(K, relevant): 1.0 is the best possible
    even when fewer than K programs are relevant."""
    if not relevant:
        return 0.0
    return sum(1 for i in ranked[:K] if i in relevant) / min(K, len(relevant))


def ndcg(ranked: list[str], relevant: set[str]) -> float:
    dcg = sum(1 / math.log2(n + 2) for n, i in enumerate(ranked[:K]) if i in relevant)
    ideal = sum(1 / math.log2(n + 2) for n in range(min(K, len(relevant))))
    return dcg / ideal if ideal else 0.0


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def run_dataset(name: str, folder: Path, workdir: Path, show: str, reuse: bool) -> dict:
    app, load_s = load(name, folder, workdir, reuse)
    to_source = source_ids(app, name)
    from_source = {v: k for k, v in to_source.items()}
    cats, total = categorized(app)
    (workdir / name / "fts.sqlite3").unlink(missing_ok=True)
    con = build_fts(app, workdir / name / "fts.sqlite3")
    judged = json.loads((HERE / "relevance" / f"{name}.json").read_text())
    client = app.test_client()
    near = within(app, NEAR[name])
    rows = []
    for query in judged["queries"]:
        relevant = {from_source[i] for i in query["relevant"] if i in from_source}
        ours = resdir_search(client, query["q"])
        theirs = fts_search(con, query["q"])
        row = {**query, "n": len(relevant),
               "ours": (precision(ours, relevant), ndcg(ours, relevant)),
               "bm25": (precision(theirs, relevant), ndcg(theirs, relevant)), "near": None}
        close = relevant & near
        if close:
            ours_near = resdir_search(client, query["q"], zip=NEAR[name], radius_mi=NEAR_MILES)
            theirs_near = fts_search(con, query["q"], only=near)
            row["near"] = (len(close), precision(ours_near, close),
                           precision(theirs_near, close))
        rows.append(row)
        if show in ("all", query["half"]):
            _show(app, query, relevant, to_source, ours, theirs)
    con.close()
    return {"name": name, "rows": rows, "load_s": load_s, "categorized": (cats, total)}


def _show(app, query, relevant, to_source, ours, theirs) -> None:
    """Both top-10 lists: + judged relevant, - not; the description of the programs not
    judged relevant is shown, for reading (and adding them to queries.toml if they are)."""
    from resdir.directory import operations

    with app.app_context():
        found = {s.id: s for s in operations.services_by_ids(list(dict.fromkeys(ours + theirs)))}
        print(f"\n{query['id']} {query['q']!r} ({len(relevant)} relevant)")
        for label, ranked in (("resdir", ours), ("bm25", theirs)):
            for n, sid in enumerate(ranked, 1):
                s = found[sid]
                mark = "+" if sid in relevant else "-"
                cats = ",".join(c.code for c in s.categories)
                print(f"  {label:6} {n:2} {mark} {to_source.get(sid, '?'):>16} "
                      f"{s.name[:60]} | {cats}")
                if mark == "-":
                    text = " ".join((s.description or "").split())[:300]
                    print(f"{'':30}{text}")


def report(result: dict) -> list[str]:
    rows = result["rows"]
    cats, total = result["categorized"]
    lines = [f"\n== {result['name']}: {total} active programs, {cats} with a resdir category; "
             f"import + index {result['load_s']:.1f} s",
             f"{'id':14} {'half':8} {'rel':>4}  {'resdir P@10':>11} {'nDCG@10':>8}  "
             f"{'bm25 P@10':>9} {'nDCG@10':>8}  {'near':>4} {'resdir':>6} {'bm25':>6}  query"]
    for r in rows:
        near = "{:4} {:6.2f} {:6.2f}".format(*r["near"]) if r["near"] else f"{'-':>18}"
        lines.append(f"{r['id']:14} {r['half']:8} {r['n']:4}  {r['ours'][0]:11.2f} "
                     f"{r['ours'][1]:8.2f}  {r['bm25'][0]:9.2f} {r['bm25'][1]:8.2f}  {near}  "
                     f"{r['q']}")
    for half in ("all", "dev", "held-out"):
        part = [r for r in rows if half == "all" or r["half"] == half]
        lines.append(
            f"{'mean ' + half:23} {len(part):4}  {mean([r['ours'][0] for r in part]):11.3f} "
            f"{mean([r['ours'][1] for r in part]):8.3f}  {mean([r['bm25'][0] for r in part]):9.3f} "
            f"{mean([r['bm25'][1] for r in part]):8.3f}  "
            f"{sum(1 for r in part if r['near']):4} "
            f"{mean([r['near'][1] for r in part if r['near']]):6.3f} "
            f"{mean([r['near'][2] for r in part if r['near']]):6.3f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--external", type=Path, default=default_external())
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--show", choices=["all", "dev", "held-out"], default=None,
                        help="print both top-10 lists of these queries")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the databases an earlier run left in --workdir")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    unknown = set(names) - set(DATASETS)
    if unknown:
        parser.error(f"unknown dataset(s): {', '.join(sorted(unknown))}")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="resdir-relevance-"))
    load_before = os.getloadavg()
    results = [run_dataset(n, args.external / DATASETS[n], workdir, args.show, args.reuse)
               for n in names]
    lines = []
    for result in results:
        lines += report(result)
    lines.append("\n== summary (mean over all queries; target P@10 >= "
                 f"{TARGET_P10:.2f} and >= BM25 + {TARGET_MARGIN:.2f})")
    for result in results:
        rows = result["rows"]
        ours = mean([r["ours"][0] for r in rows])
        base = mean([r["bm25"][0] for r in rows])
        met = ours >= TARGET_P10 and ours - base >= TARGET_MARGIN
        verdict = "target met" if met else "TARGET NOT MET"
        if not met and base + TARGET_MARGIN > 1.0:
            # P@10 cannot pass 1.00: on a small directory the baseline's top 10 is half of
            # it and already holds most judged programs (San Mateo: 21 programs).
            verdict += (f" (unreachable: BM25 {base:.3f} + {TARGET_MARGIN:.2f} > 1.00; "
                        f"resdir {'>=' if ours >= TARGET_P10 else '<'} {TARGET_P10:.2f})")
        lines.append(f"{result['name']:10} queries {len(rows):3}  resdir P@10 {ours:.3f} "
                     f"nDCG@10 {mean([r['ours'][1] for r in rows]):.3f}  bm25 P@10 {base:.3f} "
                     f"nDCG@10 {mean([r['bm25'][1] for r in rows]):.3f}  {verdict}")
        placed = [r for r in rows if r["near"]]
        lines.append(f"{'':10} near {NEAR[result['name']]} ({NEAR_MILES:g} mi), {len(placed)} "
                     f"queries with judged programs there: resdir P@10 "
                     f"{mean([r['near'][1] for r in placed]):.3f}  bm25 P@10 "
                     f"{mean([r['near'][2] for r in placed]):.3f}")
    load_after = os.getloadavg()
    lines.append("load average before: {:.2f} {:.2f} {:.2f}; after: {:.2f} {:.2f} {:.2f}"
                 .format(*load_before, *load_after))
    print("\n".join(lines))
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
