"""Write the relevance judgments (bench/relevance/<dataset>.json) from queries.toml.

Reads the source files themselves (not resdir): each query's relevant programs are those
whose own taxonomy terms and/or text match the query's rule, plus and minus the ids a
reader added or removed (see queries.toml). Run again after editing queries.toml:

    python bench/relevance_judge.py [--external ../shared/external]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUERIES = HERE / "relevance" / "queries.toml"
DATASETS = {
    "miami": "hsds-1.1-open211-miami",
    "dc": "hsds-1.1-washington-dc-orservices",
    "san_mateo": "ohana-san-mateo-county-sample",
}
csv.field_size_limit(10**8)


def default_external() -> Path:
    for candidate in (HERE.parent.parent / "shared" / "external", Path("/work/shared/external")):
        if candidate.is_dir():
            return candidate
    return HERE.parent.parent / "shared" / "external"


def _rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def programs(name: str, folder: Path) -> dict[str, dict]:
    """id -> {"name", "text", "terms": [taxonomy codes and names]} from the source files."""
    out: dict[str, dict] = {}
    if name == "miami":
        data = folder / "data"
        terms = {r["id"]: r["name"] for r in _rows(data / "taxonomy.csv")}
        for r in _rows(data / "services.csv"):
            out[r["id"]] = {"name": r["name"], "text": r["description"] or "", "terms": []}
        for r in _rows(data / "services_taxonomy.csv"):
            if r["service_id"] in out:
                code = r["taxonomy_id"]
                out[r["service_id"]]["terms"] += [code, terms.get(code, "")]
    elif name == "dc":
        terms = {r["id"]: r["name"] for r in _rows(folder / "taxonomy.csv")}
        for r in _rows(folder / "services.csv"):
            out[r["id"]] = {"name": r["name"], "text": r["description"] or "", "terms": []}
        for r in _rows(folder / "services_taxonomy.csv"):
            if r["service_id"] in out:
                out[r["service_id"]]["terms"].append(terms.get(r["taxonomy_recordid"], ""))
    else:
        for r in _rows(folder / "services.csv"):
            if r["status"] != "active":
                continue
            out[r["id"]] = {"name": r["name"], "text": r["description"] or "",
                            "terms": [k.strip() for k in (r["keywords"] or "").split(",")]}
    return out


def judge(spec: dict, progs: dict[str, dict]) -> list[str]:
    tax = [re.compile(p) for p in spec.get("tax", [])]
    text = re.compile(spec["text"], re.IGNORECASE) if spec.get("text") else None
    rule = spec.get("rule", "tax")
    found = set()
    for pid, p in progs.items():
        by_tax = any(t.search(term) for t in tax for term in p["terms"] if term)
        by_text = bool(text and text.search(p["name"] + "\n" + p["text"]))
        if {"tax": by_tax, "text": by_text, "tax|text": by_tax or by_text,
                "tax&text": by_tax and by_text}[rule]:
            found.add(pid)
    found |= set(map(str, spec.get("include", [])))
    found -= set(map(str, spec.get("exclude", [])))
    return sorted(found, key=lambda i: (len(i), i))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--external", type=Path, default=default_external())
    args = parser.parse_args(argv)
    specs = tomllib.loads(QUERIES.read_text(encoding="utf-8"))
    for name, folder in DATASETS.items():
        progs = programs(name, args.external / folder)
        queries = []
        for n, spec in enumerate(specs[name], 1):
            relevant = judge(spec, progs)
            queries.append({"id": f"{name}-{n:02d}", "q": spec["q"], "half": spec["half"],
                            "relevant": relevant})
            if not relevant:
                print(f"{name}: no relevant program for {spec['q']!r}", file=sys.stderr)
        out = HERE / "relevance" / f"{name}.json"
        out.write_text(json.dumps({"dataset": folder, "queries": queries}, indent=1) + "\n")
        sizes = [len(q["relevant"]) for q in queries]
        print(f"{name}: {len(queries)} queries, relevant per query {min(sizes)}..{max(sizes)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
