"""Category benchmark: how well programs of the real shared directories get categories.

For each dataset the importer reads the files and builds its plan (nothing is written), then
three ways of categorizing are judged against the source's own assignments (its taxonomy
terms read through data/taxonomy_crosswalk.csv):

- `taxonomy only`: categories from the source's terms alone (what resdir did before the
  text classifier; the reference);
- `text only`: the classifier on name, alternate name and description (and, when those name
  no topic, the organization's name and description, as an import does), the source's
  taxonomy hidden (for Ohana its `keywords` too: they are its taxonomy);
- `taxonomy + text`: what an import does: terms first, the classifier for the rest.

Programs: the dataset's listed programs, those the importer keeps whose status is not
inactive or defunct (search and matching never show those; the issue counts "active
programs" too). San Mateo's two test records ("just a test service") are one inactive and
one defunct; DC has two inactive programs. Coverage: share of those programs with at least
one category. Precision, recall
and F1: micro-averaged, on the programs that the source assigns at least one of our
categories (the others cannot be judged). See bench/README.md.

How a broad source term is judged. A source term stands for its whole branch of the
source's own taxonomy: Washington DC tags most clinics, and every psychotherapy program, with
Open Eligibility's top-level "Health" alone, and its own file files "Counseling", "Mental
Health Evaluation" and "Addiction & Recovery" under "Health". Read through the crosswalk,
"Health" is `health`; a program tagged "Health" and called "Adult Psychotherapy" is not
contradicted by the source when we say `mental-health`, only less vague. So a term's *scope*
is its own category and the categories of its descendants in the file (parent links only; a
term the crosswalk gives no category has no scope). Precision: a suggested category is right
when it is one of the program's categories or inside the scope of one of its terms. Recall:
each of the program's categories counts once, found when a suggestion is that category or
inside the scope of a term that gave it. Taxonomies whose terms come without parents (Miami's
AIRS codes under their one-letter section) are judged exactly as before. `strict F1` beside
it is the plain (program, category) pair F1 with no scope, printed so the difference shows.

`taxonomy + text` is judged against the very terms it reads, so its precision and recall are
1.0 by construction on the judged programs; its informative number is coverage (how many of
the programs the taxonomy leaves out the classifier picks up). `--confusion` prints, per
category, the text-only mode's right, wrong and missed suggestions and the most frequent
(source category -> suggestion) confusions; `beside` counts the misses of programs with
several categories (a second category not found), and the last line how often a first and a
later suggestion is right.

Halves. Anyone tuning a weight or threshold of the classifier by reading these errors tunes on
half `a` of each dataset and checks half `b`: a program is in half `a` when the CRC-32 of its
source id is even (stable across runs and machines). `--half both` prints the whole dataset and
each half; `--half a` only half a. `--calibration` prints, per band of the text classifier's
confidence, how often its first category is right: the confidence is meant as that
probability.

Programs left without a category are listed (`uncovered`, up to five with the start of their
description); no category is forced on them.

    python bench/categories.py
    python bench/categories.py --half both
    python bench/categories.py --dataset miami --half a --show 20    # 20 misses of half a
    python bench/categories.py --half both --calibration   # is the confidence a probability?
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import zlib
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
    from resdir.interop.hsds_import.categorizing import UNLISTED
    from resdir.interop.hsds_import.report import ImportReport
    from resdir.interop.hsds_import.resolve import resolve
    from resdir.interop.hsds_import.taxonomy import category_for

    report = ImportReport(str(path))
    dataset = detect.read(path, report)
    plan = resolve(dataset, report)
    children: dict[str, list[str]] = {}
    for key, term in plan.terms.items():
        if term.parent_id:
            children.setdefault(term.parent_id, []).append(key)

    def scope(term_id: str) -> set[str]:
        out, todo, seen = set(), [term_id], set()
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                out.add(category_for(plan, node))
                todo.extend(children.get(node, []))
        return out - {None}

    out = []
    for key, item in plan.services.items():
        if item.values.get("status") in UNLISTED:
            continue
        org = plan.orgs.get(item.org_id)
        scopes: dict[str, set[str]] = {}  # our category -> what the terms giving it allow
        for term_id in [t for t, _value in item.term_ids] + plan.coded.get(key, []):
            own = category_for(plan, term_id)
            if own:
                scopes.setdefault(own, {own}).update(scope(term_id))
        out.append({"id": key, "name": item.values.get("name") or "",
                    "alternate_name": item.values.get("alternate_name") or "",
                    "description": item.values.get("description") or "",
                    "keywords": item.rec.get("keywords"),
                    "organization": (org.values.get("name"), org.values.get("description"))
                    if org else (None, None),
                    "terms": [plan.terms[t].values["name"] for t, _v in item.term_ids
                              if t in plan.terms],
                    "truth": set(item.categories), "scopes": scopes})
    return out


def half(row: dict) -> str:
    """'a' or 'b', by a stable hash of the program's source id (see the docstring)."""
    return "ab"[zlib.crc32(str(row["id"]).encode("utf-8")) % 2]


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def judge(rows: list[dict], predict) -> dict:
    """Coverage, precision and recall with the terms' scopes, strict pair F1 (see above)."""
    right = wrong = found = units = covered = judged = 0
    tp = fp = fn = 0
    misses, per, uncovered = [], {}, []
    order = {"first": [0, 0], "later": [0, 0]}  # [right, suggested] by rank of the suggestion
    for row in rows:
        ranked = list(predict(row))
        got = set(ranked)
        covered += bool(got)
        if not got:
            uncovered.append((row["name"], " ".join((row.get("description") or "").split())[:40]))
        truth = row["truth"]
        if not truth:
            continue
        judged += 1
        allowed = truth.union(*row["scopes"].values())
        for rank, category in enumerate(ranked):
            counts = order["first" if rank == 0 else "later"]
            counts[0] += category in allowed
            counts[1] += 1
        right += len(got & allowed)
        wrong += len(got - allowed)
        for category in truth:
            units += 1
            found += bool(got & row["scopes"].get(category, {category}))
        tp, fp, fn = tp + len(got & truth), fp + len(got - truth), fn + len(truth - got)
        for category in got | truth:
            counts = per.setdefault(category, {"right": 0, "wrong": 0, "missed": 0, "beside": 0,
                                               "to": {}})
            if category in got:
                counts["right" if category in allowed else "wrong"] += 1
            elif not got & row["scopes"].get(category, {category}):
                counts["missed"] += 1
                counts["beside"] += len(truth) > 1
                for other in got - allowed:
                    counts["to"][other] = counts["to"].get(other, 0) + 1
        if got - allowed or got != truth and not got:
            misses.append((row["name"], sorted(truth), sorted(got)))
    precision = right / (right + wrong) if right + wrong else 0.0
    recall = found / units if units else 0.0
    strict = _f1(tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0)
    return {"programs": len(rows), "judged": judged, "coverage": covered / len(rows),
            "precision": precision, "recall": recall, "f1": _f1(precision, recall),
            "strict": strict, "misses": misses, "per": per, "order": order,
            "uncovered": uncovered}


def calibration(rows: list[dict], suggest) -> None:
    """Per band of the classifier's confidence: how often its first category is right (in the
    program's categories or their terms' branches). A calibrated confidence matches it."""
    bands = {}
    for row in rows:
        guess = suggest(row)
        if row["truth"] and guess.categories:
            allowed = row["truth"].union(*row["scopes"].values())
            low = next(b for b in (0.9, 0.75, 0.6, 0.45, 0.3, 0.0) if guess.confidence >= b)
            band = bands.setdefault(low, [0, 0, 0.0])
            band[0] += 1
            band[1] += guess.categories[0] in allowed
            band[2] += guess.confidence
    print(f"    {'text only, confidence':<22} {'programs':>8} {'mean':>6} {'right':>6}")
    for low, (n, right, total) in sorted(bands.items()):
        print(f"    {f'>= {low:.2f}':<22} {n:>8} {total / n:>6.2f} {right / n:>6.2f}")


def confusion(per: dict, order: dict) -> None:
    """Per category: right, wrong and missed suggestions; of the missed, how many belong to
    programs with several categories (`beside`: a second category not found), and what was
    said instead. Then how often a first and a later suggestion is right."""
    print(f"    {'category':<15} {'right':>6} {'wrong':>6} {'missed':>6} {'beside':>6}  "
          f"missed, said instead")
    for category, c in sorted(per.items(), key=lambda x: -(x[1]["wrong"] + x[1]["missed"])):
        instead = ", ".join(f"{k} {v}" for k, v in sorted(c["to"].items(),
                                                          key=lambda x: -x[1])[:3])
        print(f"    {category:<15} {c['right']:>6} {c['wrong']:>6} {c['missed']:>6} "
              f"{c['beside']:>6}  {instead}")
    print("    " + "; ".join(f"{rank} suggestions right {r} of {n} ({r / n:.0%})"
                             for rank, (r, n) in order.items() if n))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(DATASETS), action="append")
    parser.add_argument("--show", type=int, default=0, help="print this many misses")
    parser.add_argument("--confusion", action="store_true",
                        help="per category confusion of the text-only mode")
    parser.add_argument("--calibration", action="store_true",
                        help="text only: how often the first category is right per confidence")
    parser.add_argument("--half", choices=["a", "b", "both"],
                        help="judge half a or b of each dataset (by its program ids), or the "
                             "whole and both halves")
    args = parser.parse_args()
    os.environ.setdefault("RESDIR_INDEX_SYNC", "False")
    from resdir import create_app
    from resdir.categorize.classify import for_program
    from resdir.extensions import db

    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    work = tempfile.mkdtemp(prefix="rdcat-")
    app = create_app({"RESDIR_DATABASE_URL": f"sqlite:///{work}/bench.sqlite3",
                      "RESDIR_INDEX_DIR": f"{work}/index", "RESDIR_INDEX_SYNC": False})

    def suggest(row, keywords=False):
        return for_program(f"{row['name']} {row['alternate_name']}", row["description"],
                           row["keywords"] if keywords else None, row["organization"])

    def text(row, keywords=False):
        return suggest(row, keywords).categories

    modes = {
        "taxonomy only": lambda row: row["truth"],
        "text only": text,
        "taxonomy + text": lambda row: row["truth"] or text(row, keywords=True),
    }
    failed = []
    print(f"{'dataset':<12} {'mode':<16} {'programs':>8} {'judged':>7} {'coverage':>9} "
          f"{'precision':>9} {'recall':>7} {'F1':>6} {'strict':>6}  target")
    with app.app_context():
        db.create_all()
        for name in args.dataset or sorted(DATASETS):
            everything = programs(DATASETS[name])
            parts = {"a": ["a"], "b": ["b"], "both": [None, "a", "b"]}.get(args.half, [None])
            for part in parts:
                rows = [r for r in everything if part is None or half(r) == part]
                label = f"{name}/{part}" if part else name
                failed += report(label, rows, modes, args)
                if args.calibration:
                    calibration(rows, suggest)
    print("targets: text only coverage >= 95%, precision >= 0.80, F1 >= 0.75; "
          "taxonomy + text coverage >= 98%, F1 >= 0.85")
    print("missed: " + (", ".join(failed) if failed else "none"))
    return 0


def report(name: str, rows: list[dict], modes: dict, args) -> list[str]:
    """Print one line per mode for these rows; the (dataset mode) pairs that missed."""
    failed = []
    for mode, predict in modes.items():
        r = judge(rows, predict)
        target = TARGETS.get(mode, {})
        ok = all(r[k] >= v for k, v in target.items())
        if target and not ok:
            failed.append(f"{name} {mode}")
        verdict = ("met" if ok else "MISSED") if target else "-"
        print(f"{name:<12} {mode:<16} {r['programs']:>8} {r['judged']:>7} "
              f"{r['coverage']:>8.1%} {r['precision']:>9.3f} {r['recall']:>7.3f} "
              f"{r['f1']:>6.3f} {r['strict']:>6.3f}  {verdict}")
        if args.show and mode == "text only":
            for miss in r["misses"][:args.show]:
                print("    miss:", miss)
        if args.confusion and mode == "text only":
            confusion(r["per"], r["order"])
        if mode == "text only" and r["uncovered"]:
            shown = "; ".join(f"{n!r} ({d!r})" for n, d in r["uncovered"][:5])
            print(f"    uncovered: {len(r['uncovered'])} whose text names no topic the classifier "
                  f"knows (no category forced): {shown}")
    return failed


if __name__ == "__main__":
    sys.exit(main())
