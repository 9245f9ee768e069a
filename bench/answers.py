"""Same answers, less CPU: the search API's JSON for a few hundred varied queries, and the CPU
a distinct (never repeated) search costs, on a workdir bench/load.py kept (`--keep`).

    python bench/answers.py dump --workdir DIR OUT.jsonl    # every answer's exact bytes
    python bench/answers.py compare A.jsonl B.jsonl         # byte for byte; first differences
    python bench/answers.py cpu --workdir DIR [--count 3000] [--profile cprofile|pyinstrument]

`dump` sends bench/load.py's distinct queries (its generator and seed: words, category, PA
ZIP, 5-25 mi) and variants of them that reach every other path of a search: sort by
distance, words only, place only, no category, language, age, capacity, any status, page
2, 50 a page, typos, lexicon phrases and needs ("bus pass", "food and clothing"), lat/lon
and a chosen opening time. Run it with the code before and after a change, then `compare`.
`cpu` runs the distinct queries once through Flask's test client (kept answers on, as
served: none can serve a distinct query) and prints the process's CPU per request (warm:
the first --warm queries are not counted), optionally under a profiler.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

PHRASES = ["bus pass", "food and clothing", "help paying rent", "shelter tonight",
           "rent assistance", "food pantry near me", "mental health counseling",
           "diapers or formula", "job training", "utility bill help", "senior meals",
           "domestic violence", "legal aid eviction", "free clinic"]


def distinct_queries(count: int, seed: int = 1) -> list[dict]:
    """bench/load.py's queries that never repeat (its generator, its seed)."""
    import load

    zips = load.search_bench.pa_zips()
    repeated = load.search_bench.make_queries(400, seed, zips)
    return load.distinct_queries(repeated, count * 2, seed + 7, zips)[:count]


def _typo(word: str, rnd: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rnd.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def varied(base: list[dict], seed: int = 3) -> list[dict]:
    """Variants of `base` that take the other paths of a search."""
    from resdir.geo import lookup_zip

    rnd = random.Random(seed)

    def place(q: dict) -> dict:
        found = lookup_zip(q["zip"])
        v = {k: x for k, x in q.items() if k != "zip"}
        v["lat"], v["lon"] = f"{found.latitude + 0.013:.4f}", f"{found.longitude - 0.02:.4f}"
        return v

    def without(q: dict, *names: str) -> dict:
        return {k: x for k, x in q.items() if k not in names}

    kinds = [
        lambda q, i: {**q, "sort": "distance"},
        lambda q, i: without(q, "category"),
        lambda q, i: without(q, "q", "category"),  # place only: by distance
        lambda q, i: without(q, "zip", "radius_mi"),  # words only
        lambda q, i: {**q, "language": "es"},
        lambda q, i: {**q, "age": rnd.choice([8, 17, 35, 70])},
        lambda q, i: {**q, "capacity": rnd.choice(["capacity", "waitlist"])},
        lambda q, i: {**q, "status": "any"},
        lambda q, i: {**q, "page": 2},
        lambda q, i: {**without(q, "category"), "per_page": 50},
        lambda q, i: {**q, "q": " ".join(_typo(w, rnd) for w in q["q"].split())},
        lambda q, i: ({**q, "q": PHRASES[(i // 14) % len(PHRASES)]} if rnd.random() < 0.5
                      else {**without(q, "category"), "q": PHRASES[(i // 14) % len(PHRASES)]}),
        lambda q, i: place(q),
        lambda q, i: {**q, "open_day": rnd.choice(["Mo", "Sa", "We"]), "open_time": "10:30"},
    ]
    return [kinds[i % len(kinds)](q, i) for i, q in enumerate(base)]


def make_app(workdir: Path, keep_answers: bool = False):
    """The app on the workdir's database and index; answers kept as configured (on by
    default, as served: a distinct query misses) or not at all (every search searches)."""
    from resdir import create_app

    settings = {"RESDIR_DATABASE_URL": f"sqlite:///{workdir / 'resdir.sqlite3'}",
                "RESDIR_INDEX_DIR": str(workdir / "index"), "RESDIR_INDEX_POLL_SECONDS": 0}
    if not keep_answers:
        settings["RESDIR_SEARCH_CACHE_ENTRIES"] = 0
    return create_app(settings)


def dump(args) -> None:
    base = distinct_queries(args.count)
    queries = base + varied(base[: args.count // 2]) + [{"q": p} for p in PHRASES]
    client = make_app(Path(args.workdir)).test_client()
    with open(args.out, "w", encoding="utf-8") as out:
        for q in queries:
            url = "/api/v1/search?" + urllib.parse.urlencode(q)
            got = client.get(url)
            out.write(json.dumps({"url": url, "status": got.status_code,
                                  "body": got.get_data(as_text=True)}) + "\n")
    print(f"{len(queries)} answers written to {args.out}")


def compare(args) -> None:
    with open(args.a, encoding="utf-8") as one, open(args.b, encoding="utf-8") as other:
        a = [json.loads(line) for line in one]
        b = [json.loads(line) for line in other]
    differ = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    results = sum(len(json.loads(x["body"]).get("results", [])) for x in a if x["status"] == 200)
    print(f"{len(a)} answers ({results} results): {len(a) - len(differ)} identical, "
          f"{len(differ)} differ")
    for x, y in differ[:5]:
        print(x["url"], x["status"], y["status"])
        print("  A:", x["body"][:300])
        print("  B:", y["body"][:300])
    sys.exit(1 if differ else 0)


def cpu(args) -> None:
    queries = distinct_queries(args.count + args.warm)
    urls = ["/api/v1/search?" + urllib.parse.urlencode(q) for q in queries]
    client = make_app(Path(args.workdir), keep_answers=True).test_client()
    for url in urls[: args.warm]:
        assert client.get(url).status_code == 200
    urls = urls[args.warm :]
    profiler = None
    if args.profile == "cprofile":
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    elif args.profile == "pyinstrument":
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        profiler.start()
    started = time.process_time()
    for url in urls:
        client.get(url)
    used = time.process_time() - started
    if args.profile == "cprofile":
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
    elif args.profile == "pyinstrument":
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    print(f"{len(urls)} distinct searches through the test client: "
          f"{used / len(urls) * 1000:.2f} ms CPU per request (load {os.getloadavg()[0]:.1f})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--workdir", required=True)
    d.add_argument("--count", type=int, default=300)
    d.add_argument("out")
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    p = sub.add_parser("cpu")
    p.add_argument("--workdir", required=True)
    p.add_argument("--count", type=int, default=3000)
    p.add_argument("--warm", type=int, default=3000, help="queries first, not counted")
    p.add_argument("--profile", choices=["cprofile", "pyinstrument"])
    args = parser.parse_args(argv)
    {"dump": dump, "compare": compare, "cpu": cpu}[args.command](args)


if __name__ == "__main__":
    main()
