"""Load test: resdir served by real gunicorn (gunicorn.conf.py) on a synthetic directory,
under a mix of searches, program pages, sign-ins, referral status changes and agency edits at
1, 4 and 16 concurrent clients; then the search route alone, for resdir and for the FTS5
yardstick (bench/fts_reference.py) under the same gunicorn settings.

    python bench/load.py                       # N=10000, 2 workers, 10 s per level
    python bench/load.py --n 100000 --workers 2 --seconds 20
    python bench/load.py --db postgres         # resdir on a real PostgreSQL server

Prints, per level: requests/s and p50/p95/p99 per route, errors (no answer, 5xx, or a status
the route never gives) and 409 conflicts apart, RSS per gunicorn worker at the start and end,
the workers' CPU per request (with PostgreSQL's server processes) and the load average, and
the share of searches a worker answered from the answers it kept (X-Search-Cache); then the
search route again with queries that never repeat (for resdir and the yardstick: nothing
kept can serve), how far the yardstick's answers agree with resdir's, and a summary table.
Bounded (levels x --seconds) and loopback only. The sign-in limits are raised for the run
(RESDIR_LOGIN_LIMIT_*): it measures serving, not throttling.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import math
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import common  # noqa: E402  (bench/common.py: this folder is on sys.path)

from tests.servers import Gunicorn, get  # noqa: E402


def _module(name: str, file: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


search_bench = _module("bench_search", "search.py")
replicas = _module("bench_replicas", "replicas.py")

PASSWORD = "load test pass phrase"
CONSENT = {"given": True, "method": "verbal", "scope": "Name, age, ZIP and the need"}
MIX = {"search": 50, "program page": 25, "sign-in": 5, "referral change": 10,
       "agency edit": 10}
# After "requested": accept, start, then hold and restart for ever (on-hold needs a reason).
NEXT_STATUS = {"requested": "accepted", "accepted": "in-progress", "in-progress": "on-hold",
               "on-hold": "in-progress"}
CAPACITIES = ["capacity", "waitlist", "no-capacity", "additional-assessment-required"]
DISTINCT = 40_000  # queries drawn for the runs where none repeats


# -- set-up ------------------------------------------------------------------------------


def prepare(args, workdir: Path, url: str) -> dict:
    """The directory (bench/search.py's generator), its index, people with API tokens,
    clients and referrals; returns what the clients need."""
    from resdir.auth import operations as auth
    from resdir.directory import indexing
    from resdir.directory import models as m
    from resdir.extensions import db

    app = replicas.make_app(url, workdir / "index")
    app.config["RESDIR_MAIL_ENABLED"] = False
    replicas.load(app, args.n, args.seed)
    with app.app_context():
        indexing.reindex()
        services = db.session.query(m.Service.id, m.Service.organization_id).filter(
            m.Service.status == "active").order_by(m.Service.id).all()
        org = services[0].organization_id
        own = [s.id for s in services if s.organization_id == org]
        coordinator = auth.create_user("coordinator@load.example", "coordinator",
                                       "Load Test Clinic", password=PASSWORD)
        agency = auth.create_user("agency@load.example", "agency", org, password=PASSWORD)
        admin = auth.create_user("admin@load.example", "admin", password=PASSWORD)
        signers = [coordinator.email, agency.email]
        for n in range(args.accounts):
            signers.append(auth.create_user(f"coordinator{n}@load.example", "coordinator",
                                            "Load Test Clinic", password=PASSWORD).email)
        tokens = {who: auth.create_api_token(user) for who, user in
                  (("coordinator", coordinator), ("agency", agency), ("admin", admin))}
        db.session.commit()
        pages = [s.id for s in random.Random(args.seed).sample(services, min(500, len(services)))]
        indexing.search_index().close()
    client = app.test_client()
    referrals = {}
    for n in range(args.referrals):
        made = client.post("/api/v1/clients", headers=_bearer(tokens["coordinator"]), json={
            "name": f"Load Client {n}", "zip": "15213", "birth_date": "1980-01-01",
            "languages": ["en"]})
        assert made.status_code == 201, made.get_json()
        sent = client.post("/api/v1/referrals", headers=_bearer(tokens["coordinator"]), json={
            "client_id": made.get_json()["id"], "service_id": own[n % len(own)],
            "need": "food-insecurity", "consent": CONSENT})
        assert sent.status_code == 201, sent.get_json()
        body = sent.get_json()
        referrals[body["id"]] = [body["status"], body["version"]]
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    zips = search_bench.pa_zips()
    queries = search_bench.make_queries(400, args.seed, zips)
    distinct = distinct_queries(queries, DISTINCT, args.seed + 7, zips)
    return {"url": url, "tokens": tokens, "own": own,
            "pages": pages, "signers": signers, "referrals": referrals, "queries": queries,
            "distinct": distinct, "versions": {}, "lock": threading.Lock()}


def distinct_queries(repeated: list[dict], count: int, seed: int, zips) -> list[dict]:
    """Of `count` queries drawn with a seed of their own, those equal to no other and to none
    of `repeated`: every answer is worked out, none is one a worker kept
    (RESDIR_SEARCH_CACHE_ENTRIES)."""
    seen = {urllib.parse.urlencode(q) for q in repeated}
    out = []
    for query in search_bench.make_queries(count, seed, zips):
        text = urllib.parse.urlencode(query)
        if text not in seen:
            seen.add(text)
            out.append(query)
    return out


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# -- a client ----------------------------------------------------------------------------


class Client:
    """One keep-alive connection (reopened after an error) with its own cookies."""

    def __init__(self, port: int):
        self.port = port
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}
        self.headers = None  # the last answer's headers

    def request(self, method: str, path: str, headers: dict | None = None,
                body: bytes | None = None) -> tuple[int | None, str]:
        heads = dict(headers or {})
        if self.cookies:
            heads["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request(method, path, body=body, headers=heads)
            response = self.conn.getresponse()
            text = response.read().decode()
            self.headers = response.headers
            for raw in response.headers.get_all("Set-Cookie") or []:
                for key, morsel in SimpleCookie(raw).items():
                    self.cookies[key] = morsel.value
            return response.status, text
        except (OSError, http.client.HTTPException):
            self.close()
            return None, ""

    def json(self, method: str, path: str, token: str, body: dict | None = None):
        heads = _bearer(token)
        data = None
        if body is not None:
            heads["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        return self.request(method, path, heads, data)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.conflicts: dict[str, int] = defaultdict(int)
        self.examples: dict[str, str] = {}
        self.cache: dict[str, int] = defaultdict(int)  # X-Search-Cache: hit / miss

    def add(self, route: str, seconds: float, outcome: str, detail: str = "") -> None:
        with self.lock:
            if outcome == "ok":
                self.times[route].append(seconds)
            elif outcome == "conflict":
                self.conflicts[route] += 1
                self.times[route].append(seconds)
            else:
                self.errors[route] += 1
                self.examples.setdefault(route, detail[:200])


def one(route: str, client: Client, data: dict, rnd: random.Random, stats: Stats) -> None:
    started = time.perf_counter()
    outcome, detail = "ok", ""
    if route in ("search", "distinct search"):
        if route == "search":
            query = rnd.choice(data["queries"])
        else:
            with data["lock"]:
                query = next(data["next_distinct"], None)
            if query is None:
                raise SystemExit(f"more than {DISTINCT} distinct queries: raise DISTINCT")
        status, text = client.request("GET", "/api/v1/search?" + urllib.parse.urlencode(query))
        if status != 200:
            outcome, detail = "error", f"{status} {text}"
        elif client.headers is not None and client.headers.get("X-Search-Cache"):
            with stats.lock:
                stats.cache[client.headers["X-Search-Cache"]] += 1
    elif route == "program page":
        status, text = client.request("GET", f"/programs/{rnd.choice(data['pages'])}",
                                      {"Accept": "text/html"})
        if status != 200:
            outcome, detail = "error", f"{status} {text}"
    elif route == "sign-in":
        outcome, detail = sign_in(client, rnd.choice(data["signers"]))
    elif route == "referral change":
        outcome, detail = referral_change(client, data, rnd)
    elif route == "agency edit":
        outcome, detail = agency_edit(client, data, rnd)
    stats.add(route, time.perf_counter() - started, outcome, detail)


def sign_in(client: Client, email: str) -> tuple[str, str]:
    """The real form: GET /login for the CSRF token and cookie, POST it; then sign out."""
    client.cookies.clear()
    status, page = client.request("GET", "/login")
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    if status != 200 or not found:
        return "error", f"GET /login {status}"
    form = urllib.parse.urlencode({"email": email, "password": PASSWORD,
                                   "csrf_token": found.group(1)}).encode()
    status, text = client.request("POST", "/login", {
        "Content-Type": "application/x-www-form-urlencoded"}, form)
    client.cookies.clear()
    return ("ok", "") if status == 302 else ("error", f"POST /login {status} {text}")


def referral_change(client: Client, data: dict, rnd: random.Random) -> tuple[str, str]:
    """The agency moves a referral on, with the version it last saw (409 when another
    client moved it first; then it reads the referral again)."""
    with data["lock"]:
        rid = rnd.choice(list(data["referrals"]))
        status_now, version = data["referrals"][rid]
    target = NEXT_STATUS[status_now]
    body = {"status": target, "version": version}
    if target == "on-hold":
        body["reason"] = "no-capacity"
    status, text = client.json("PATCH", f"/api/v1/referrals/{rid}", data["tokens"]["agency"],
                               body)
    if status == 200:
        answer = json.loads(text)
        with data["lock"]:
            data["referrals"][rid] = [answer["status"], answer["version"]]
        return "ok", ""
    if status == 409:
        status, text = client.json("GET", f"/api/v1/referrals/{rid}", data["tokens"]["agency"])
        if status == 200:
            answer = json.loads(text)
            with data["lock"]:
                data["referrals"][rid] = [answer["status"], answer["version"]]
        return "conflict", ""
    return "error", f"{status} {text}"


def agency_edit(client: Client, data: dict, rnd: random.Random) -> tuple[str, str]:
    """The agency changes one of its programs' capacity with the version it last saw."""
    sid = rnd.choice(data["own"])
    token = data["tokens"]["agency"]
    with data["lock"]:
        version = data["versions"].get(sid)
    if version is None:
        status, text = client.json("GET", f"/api/v1/services/{sid}", token)
        if status != 200:
            return "error", f"GET {status} {text}"
        version = json.loads(text)["version"]
    status, text = client.json("PATCH", f"/api/v1/services/{sid}", token,
                               {"capacity_status": rnd.choice(CAPACITIES), "version": version})
    if status == 200:
        with data["lock"]:
            data["versions"][sid] = json.loads(text)["version"]
        return "ok", ""
    if status == 409:
        current = json.loads(text)["error"].get("current_version")
        with data["lock"]:
            data["versions"][sid] = current
        return "conflict", ""
    return "error", f"{status} {text}"


# -- running a level -----------------------------------------------------------------------


def _workers(master_pid: int):
    """(process id, fields of /proc/PID/stat after the name, /proc/PID/status) of each
    process whose parent is the gunicorn master."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != master_pid:
                continue
            yield int(stat.parent.name), fields, (stat.parent / "status").read_text()
        except OSError:
            continue


def workers_rss(master_pid: int) -> list[float]:
    """RSS (MB) of each gunicorn worker."""
    found = []
    for _, _, status in _workers(master_pid):
        rss = re.search(r"VmRSS:\s+(\d+)", status)
        if rss:
            found.append(int(rss.group(1)) / 1024)
    return sorted(found)


def workers_cpu(master_pid: int) -> dict[int, float]:
    """CPU seconds (user + system) each gunicorn worker used so far, by process id."""
    tick = os.sysconf("SC_CLK_TCK")
    return {pid: (int(fields[11]) + int(fields[12])) / tick
            for pid, fields, _ in _workers(master_pid)}


class CpuWatch:
    """The workers' CPU seconds over a level, sampled every quarter second so that a
    worker gunicorn replaces meanwhile (max_requests) still counts up to its last sample.
    CPU per request holds when other processes share the cores, where wall times do not."""

    def __init__(self, *master_pids: int):
        self.master_pids = master_pids
        self.workers: set[int] = set()  # gunicorn's (the first master's) workers seen
        self.start = self._sample()
        self.first_workers = set(self.workers)
        self.last = dict(self.start)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _sample(self) -> dict[int, float]:
        found = {}
        for n, master in enumerate(self.master_pids):
            cpu = workers_cpu(master)
            if n == 0:
                self.workers.update(cpu)
            found.update(cpu)
        return found

    def _watch(self) -> None:
        while not self.done.wait(0.25):
            self.last.update(self._sample())

    def stop(self) -> tuple[float, int]:
        """(CPU seconds used, workers replaced during the level)."""
        self.done.set()
        self.thread.join()
        self.last.update(self._sample())
        used = sum(cpu - self.start.get(pid, 0.0) for pid, cpu in self.last.items())
        return used, len(self.workers - self.first_workers)


def run_level(server: Gunicorn, data: dict, mix: dict, clients: int, seconds: float,
              seed: int) -> dict:
    stats = Stats()
    rss_start = workers_rss(server.process.pid)
    # With PostgreSQL, its server processes' CPU counts too (SQLite's is in the workers).
    cpu = CpuWatch(server.process.pid, *data.get("db_pids", ()))
    load_start = os.getloadavg()[0]
    routes, weights = list(mix), list(mix.values())
    stop = time.monotonic() + seconds

    def loop(number: int) -> None:
        rnd = random.Random(seed * 1000 + number)
        client = Client(server.port)
        while time.monotonic() < stop:
            one(rnd.choices(routes, weights)[0], client, data, rnd, stats)
        client.close()

    started = time.monotonic()
    threads = [threading.Thread(target=loop, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    used, replaced = cpu.stop()
    return {"clients": clients, "stats": stats, "elapsed": elapsed, "rss_start": rss_start,
            "cpu": used, "replaced": replaced,
            "rss_end": workers_rss(server.process.pid), "load": (load_start,
                                                                 os.getloadavg()[0])}


def _pct(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p * len(ordered)) - 1))] * 1000


def print_level(title: str, level: dict) -> None:
    stats, elapsed = level["stats"], level["elapsed"]
    rss = lambda values: ", ".join(f"{v:.0f}" for v in values)  # noqa: E731
    done = sum(len(t) for t in stats.times.values()) + sum(stats.errors.values())
    print(f"\n{title}, {level['clients']} client(s), {elapsed:.0f} s; load average "
          f"{level['load'][0]:.1f} -> {level['load'][1]:.1f}; RSS per worker MB "
          f"{rss(level['rss_start'])} -> {rss(level['rss_end'])}; workers' CPU "
          f"{1000 * level['cpu'] / max(1, done):.1f} ms per request"
          + (f"; {level['replaced']} worker(s) replaced (max_requests)"
             if level["replaced"] else ""))
    print("| route | requests | req/s | p50 ms | p95 ms | p99 ms | errors | 409 conflicts |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    total = 0
    for route in sorted(set(stats.times) | set(stats.errors)):
        times = sorted(stats.times.get(route, []))
        count = len(times) + stats.errors.get(route, 0)
        total += count
        cells = [f"{_pct(times, p):.1f}" for p in (0.5, 0.95, 0.99)] if times else ["-"] * 3
        print(f"| {route} | {count} | {count / elapsed:.1f} | {' | '.join(cells)} | "
              f"{stats.errors.get(route, 0)} | {stats.conflicts.get(route, 0)} |")
    print(f"| all | {total} | {total / elapsed:.1f} | | | | {sum(stats.errors.values())} | "
          f"{sum(stats.conflicts.values())} |")
    for route, example in stats.examples.items():
        print(f"  first {route} error: {example}")
    if stats.cache:
        print(f"search answers from a worker's cache (X-Search-Cache): {cache_rate(stats)}")


def cache_rate(stats: Stats) -> str:
    """Share of searches a worker answered from the answers it kept ("-": no header)."""
    counted = sum(stats.cache.values())
    if not counted:
        return "-"
    return f"{stats.cache['hit'] / counted:.0%} of {counted}"


def search_times(level: dict) -> list[float]:
    times = level["stats"].times
    return sorted(times.get("search") or times.get("distinct search") or [])


# -- the FTS5 yardstick ----------------------------------------------------------------------


def fts_database(args, workdir: Path, url: str) -> Path:
    """The SQLite database the yardstick reads: resdir's own, or (when resdir runs on
    PostgreSQL) the same generated directory (same --n and --seed) in an SQLite file."""
    if url.startswith("sqlite"):
        return Path(url.removeprefix("sqlite:///"))
    path = workdir / "yardstick.sqlite3"
    app = replicas.make_app(f"sqlite:///{path}", workdir / "yardstick-index")
    replicas.load(app, args.n, args.seed)
    return path


def fts_server(workdir: Path, db: Path, workers: int) -> Gunicorn:
    """bench/fts_reference.py under gunicorn.conf.py's settings, without resdir's hooks
    (they import resdir into every worker and start its index thread)."""
    config = workdir / "gunicorn_fts.conf.py"
    config.write_text(
        f"exec(open({str(ROOT / 'gunicorn.conf.py')!r}).read())\n"
        "del post_fork, post_worker_init  # resdir's own hooks: not for the yardstick\n")
    wsgi = workdir / "fts_wsgi.py"
    wsgi.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT / 'bench')!r})\n"
        "from fts_reference import create\n"
        f"app = create({str(db)!r})\n")
    server = Gunicorn({"PYTHONPATH": str(workdir)}, workers=workers, log=workdir / "fts.log")
    server.config, server.app_spec = config, "fts_wsgi:app"
    return server


def start_fts(server: Gunicorn, within: float = 120) -> None:
    import subprocess

    from tests.servers import GUNICORN

    server._out = open(server.log, "ab")  # noqa: SIM115
    # The socket Gunicorn() bound for it (tests/servers.py): the port itself is taken.
    fd = server.listener.fileno()
    server.process = subprocess.Popen(
        [str(GUNICORN), "-c", str(server.config), "--bind", f"fd://{fd}",
         "--workers", str(server.workers), server.app_spec],
        cwd=server.config.parent, env=server.env, stdout=server._out, stderr=subprocess.STDOUT,
        pass_fds=(fd,))
    deadline = time.monotonic() + within
    probe = "/api/v1/search?q=food&zip=15213"
    while time.monotonic() < deadline and server.process.poll() is None:
        try:
            if get(server.url + probe, timeout=5)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise SystemExit(f"the FTS5 reference did not start (log: {server.log})")


# -- comparing answers and the summary ------------------------------------------------------


def answers(server: Gunicorn, data: dict, count: int) -> list[dict | None]:
    """The JSON of the first `count` queries, as this server answers them."""
    client, out = Client(server.port), []
    for query in data["queries"][:count]:
        status, text = client.request("GET", "/api/v1/search?" + urllib.parse.urlencode(query))
        out.append(json.loads(text) if status == 200 else None)
    client.close()
    return out


def compare(resdir: list[dict | None], fts: list[dict | None]) -> None:
    """Is the yardstick answering the same question? Same JSON keys, same page size, and
    how far the totals and top-20 sets agree (they differ where resdir's synonyms, any-word
    fallback, typo correction and ranking differ from plain FTS5: bench/README.md)."""
    pairs = [(a, b) for a, b in zip(resdir, fts, strict=True) if a and b]
    keys = sum(a.keys() == b.keys() for a, b in pairs)
    shape = lambda answer: {k for r in answer["results"] for k in r}  # noqa: E731
    result_keys = sum(shape(a) == shape(b) for a, b in pairs
                      if a["results"] and b["results"])
    same_count = sum(len(a["results"]) == len(b["results"]) for a, b in pairs)
    same_total = sum(a["total"] == b["total"] for a, b in pairs)
    overlap = [len({r["id"] for r in a["results"]} & {r["id"] for r in b["results"]})
               / max(1, len(a["results"]), len(b["results"])) for a, b in pairs]
    size = lambda answers: statistics.mean(len(json.dumps(a)) for a in answers if a)  # noqa: E731
    with_results = sum(bool(a["results"] and b["results"]) for a, b in pairs)
    print(f"\nyardstick check, first {len(resdir)} queries ({len(pairs)} answered by both): "
          f"same top-level keys {keys}, same result keys {result_keys} of {with_results} "
          f"with results, same number of "
          f"results {same_count}, same total {same_total}; top-20 overlap mean "
          f"{statistics.mean(overlap or [0]):.0%}; mean JSON {size(resdir):.0f} bytes "
          f"(resdir) and {size(fts):.0f} (FTS5)")


def summary(rows: list[tuple[str, dict, dict | None]]) -> None:
    """One line per server and level: the table of bench/README.md."""
    print("\n| | clients | search req/s | search p50 / p95 / p99 ms | cache hits | mixed req/s "
          "| errors | 409 | search CPU ms per request | RSS per worker start -> end MB "
          "| load average |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    rss = lambda values: ", ".join(f"{v:.0f}" for v in values)  # noqa: E731
    for name, search, mixed in rows:
        times = search_times(search)
        pcts = " / ".join(f"{_pct(times, p):.1f}" for p in (0.5, 0.95, 0.99)) if times else "-"
        levels = [x for x in (mixed, search) if x]
        errors = sum(sum(x["stats"].errors.values()) for x in levels)
        conflicts = sum(sum(x["stats"].conflicts.values()) for x in levels)
        mixed_rate = "(search only)"
        if mixed:
            done = sum(len(t) for t in mixed["stats"].times.values())
            done += sum(mixed["stats"].errors.values())
            mixed_rate = f"{done / mixed['elapsed']:.1f}"
        first = levels[0]
        cpu = 1000 * search["cpu"] / max(1, len(times))
        print(f"| {name} | {search['clients']} | "
              f"{len(times) / search['elapsed']:.1f} | {pcts} | {cache_rate(search['stats'])} | "
              f"{mixed_rate} | {errors} | "
              f"{conflicts} | {cpu:.1f} | {rss(first['rss_start'])} -> "
              f"{rss(search['rss_end'])} | "
              f"{first['load'][0]:.1f} -> {search['load'][1]:.1f} |")


def distinct_levels(server: Gunicorn, data: dict, args, levels: list[int], table: list,
                    name: str) -> None:
    """The search route again, every query one never sent before (the same sequence for
    each server): what searching costs when no answer was kept."""
    data["next_distinct"] = iter(data["distinct"])
    for clients in levels:
        level = run_level(server, data, {"distinct search": 1}, clients, args.seconds,
                          args.seed)
        print_level(f"{name}, search only, every query distinct", level)
        table.append((f"{name}, distinct queries", level, None))


# -- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="programs (default 10000)")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite",
                        help="resdir's database (postgres: a server of its own, fsync on)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--seconds", type=float, default=10, help="seconds per level")
    parser.add_argument("--warmup", type=float, default=3,
                        help="seconds of unreported traffic before the first level")
    parser.add_argument("--levels", default="1,4,16", help="concurrent clients per level")
    parser.add_argument("--referrals", type=int, default=100, help="referrals made up front")
    parser.add_argument("--accounts", type=int, default=20, help="extra accounts signing in")
    parser.add_argument("--compare", type=int, default=100,
                        help="queries whose answers are compared with the yardstick's")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-fts", action="store_true", help="skip the FTS5 yardstick")
    parser.add_argument("--search-only", action="store_true",
                        help="skip the mixed traffic (the search route and the yardstick only)")
    parser.add_argument("--keep", action="store_true", help="keep the workdir")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="resdir-load-"))
    print(f"load average {os.getloadavg()[0]:.1f} at start; {os.cpu_count()} cores; "
          f"database {args.db}; workdir {workdir}", flush=True)
    pg = None
    try:
        started = time.perf_counter()
        if args.db == "postgres":
            from tests.pgserver import PgServer

            pg = PgServer(durable=True)  # as production runs it: a commit is on disk
            pg.start()
            pg.execute("CREATE DATABASE load")
            url = pg.url("load")
        else:
            url = f"sqlite:///{workdir / 'resdir.sqlite3'}"
        data = prepare(args, workdir, url)
        if pg is not None:
            data["db_pids"] = [int((pg.data / "postmaster.pid").read_text().split()[0])]
        print(f"{args.n} programs, {len(data['referrals'])} referrals, "
              f"{len(data['signers'])} accounts ready in {time.perf_counter() - started:.0f} s",
              flush=True)
        env = {"RESDIR_DATABASE_URL": url, "RESDIR_INDEX_DIR": str(workdir / "index"),
               "RESDIR_SECRET_KEY": "load-test", "RESDIR_MAIL_ENABLED": "false",
               "RESDIR_LOGIN_LIMIT_ADDRESS": "1000000/minute",
               "RESDIR_LOGIN_LIMIT_ACCOUNT": "1000000/minute"}
        searches = {"search": 1}
        table, ours = [], []
        with Gunicorn(env, workers=args.workers, log=workdir / "gunicorn.log") as server:
            # Not reported: the first requests of each worker open the index and fill caches.
            run_level(server, data, MIX, 2 * args.workers, args.warmup, args.seed + 1)
            ours = answers(server, data, args.compare)
            mixed = dict.fromkeys(levels)
            for clients in [] if args.search_only else levels:
                mixed[clients] = run_level(server, data, MIX, clients, args.seconds, args.seed)
                print_level(f"resdir ({args.db}), mixed traffic", mixed[clients])
            for clients in levels:
                level = run_level(server, data, searches, clients, args.seconds, args.seed)
                print_level(f"resdir ({args.db}), search only", level)
                table.append((f"resdir ({args.db})", level, mixed[clients]))
            distinct_levels(server, data, args, levels, table, f"resdir ({args.db})")
        if not args.no_fts:
            server = fts_server(workdir, fts_database(args, workdir, url), args.workers)
            start_fts(server)
            try:
                run_level(server, data, searches, 2 * args.workers, args.warmup, args.seed + 1)
                compare(ours, answers(server, data, args.compare))
                for clients in levels:
                    level = run_level(server, data, searches, clients, args.seconds, args.seed)
                    print_level("FTS5 reference (bench/fts_reference.py), search only", level)
                    table.append(("FTS5 reference", level, None))
                distinct_levels(server, data, args, levels, table, "FTS5 reference")
            finally:
                server.stop()
        summary(table)
        print(f"\nload average {os.getloadavg()[0]:.1f} at the end; the search route is the "
              f"yardstick comparison (same gunicorn.conf.py, {args.workers} workers, same "
              f"queries in the same order)")
    finally:
        common.stop_and_clean(pg, workdir, args.keep)


if __name__ == "__main__":
    main()
