"""Category benchmark: how well programs of the real shared directories get categories.

For each dataset the importer reads the files and builds its plan (nothing is written), then
three ways of categorizing are judged against the source's own assignments (its taxonomy
terms read through data/taxonomy_crosswalk.csv):

- `taxonomy only`: categories from the source's terms alone (what resdir did before the
  text classifier; the reference);
- `text only`: the classifier on name, alternate name and description, the source's taxonomy
  hidden (for Ohana its `keywords` too: they are its taxonomy);
- `taxonomy + text`: what an import does: terms first, the classifier for the rest.

Coverage: share of all the dataset's programs with at least one category. Precision, recall
and F1: micro-averaged over (program, category) pairs, on the programs that the source
assigns at least one of our categories (the others cannot be judged). See bench/README.md.

    python bench/categories.py
    python bench/categories.py --dataset miami --show 20    # print 20 misses
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXTERNAL = ROOT.parent / "shared" / "external"
DATASETS = {
    "miami": EXTERNAL / "hsds-1.1-open211-miami",
    "dc": EXTERNAL / "hsds-1.1-washington-dc-orservices",
    "san-mateo": EXTERNAL / "ohana-san-mateo-county-sample",
}
TARGETS = {"text only": {"coverage": 0.95, "precision": 0.80, "f1": 0.75},
           "taxonomy + text": {"coverage": 0.98, "f1": 0.85}}


def programs(path: Path) -> list[dict]:
    """name, texts and the source's categories of every program the importer would keep."""
    from resdir.interop.hsds_import import detect
    from resdir.interop.hsds_import.report import ImportReport
    from resdir.interop.hsds_import.resolve import resolve

    report = ImportReport(str(path))
    dataset = detect.read(path, report)
    plan = resolve(dataset, report)
    out = []
    for item in plan.services.values():
        out.append({"name": item.values.get("name") or "",
                    "alternate_name": item.values.get("alternate_name") or "",
                    "description": item.values.get("description") or "",
                    "keywords": item.rec.get("keywords"),
                    "truth": set(item.categories)})
    return out


def judge(rows: list[dict], predict) -> dict:
    tp = fp = fn = covered = judged = 0
    misses = []
    for row in rows:
        got = set(predict(row))
        covered += bool(got)
        if not row["truth"]:
            continue
        judged += 1
        tp += len(got & row["truth"])
        fp += len(got - row["truth"])
        fn += len(row["truth"] - got)
        if got != row["truth"]:
            misses.append((row["name"], sorted(row["truth"]), sorted(got)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"programs": len(rows), "judged": judged, "coverage": covered / len(rows),
            "precision": precision, "recall": recall, "f1": f1, "misses": misses}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(DATASETS), action="append")
    parser.add_argument("--show", type=int, default=0, help="print this many misses")
    args = parser.parse_args()
    os.environ.setdefault("RESDIR_INDEX_SYNC", "False")
    from resdir import create_app
    from resdir.categorize.classify import suggest
    from resdir.extensions import db

    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    work = tempfile.mkdtemp(prefix="rdcat-")
    app = create_app({"RESDIR_DATABASE_URL": f"sqlite:///{work}/bench.sqlite3",
                      "RESDIR_INDEX_DIR": f"{work}/index", "RESDIR_INDEX_SYNC": False})

    def text(row, keywords=False):
        return suggest(f"{row['name']} {row['alternate_name']}", row["description"],
                       row["keywords"] if keywords else None).categories

    modes = {
        "taxonomy only": lambda row: row["truth"],
        "text only": text,
        "taxonomy + text": lambda row: row["truth"] or text(row, keywords=True),
    }
    failed = []
    print(f"{'dataset':<10} {'mode':<16} {'programs':>8} {'judged':>7} {'coverage':>9} "
          f"{'precision':>9} {'recall':>7} {'F1':>6}  target")
    with app.app_context():
        db.create_all()
        for name in args.dataset or sorted(DATASETS):
            rows = programs(DATASETS[name])
            for mode, predict in modes.items():
                r = judge(rows, predict)
                target = TARGETS.get(mode, {})
                ok = all(r[k] >= v for k, v in target.items())
                if target and not ok:
                    failed.append(f"{name} {mode}")
                verdict = ("met" if ok else "MISSED") if target else "-"
                print(f"{name:<10} {mode:<16} {r['programs']:>8} {r['judged']:>7} "
                      f"{r['coverage']:>8.1%} {r['precision']:>9.3f} {r['recall']:>7.3f} "
                      f"{r['f1']:>6.3f}  {verdict}")
                if args.show and mode == "text only":
                    for miss in r["misses"][:args.show]:
                        print("    miss:", miss)
    print("targets: text only coverage >= 95%, precision >= 0.80, F1 >= 0.75; "
          "taxonomy + text coverage >= 98%, F1 >= 0.85")
    print("missed: " + (", ".join(failed) if failed else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
