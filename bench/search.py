"""Search benchmark: resdir's real search path (Whoosh) against a plain SQLite FTS5 reference.

Builds a synthetic Pennsylvania directory of N programs, loads it into a fresh SQLite
database with bulk Core inserts, builds the Whoosh index with `indexing.reindex()`, then
times 200 mixed queries through `GET /api/v1/search` in a separate process (so its peak
RSS is that of a process serving searches), and the same queries on an FTS5 reference.
See bench/README.md for what is measured and compared.

    python bench/search.py --n 10000
    python bench/search.py --n 100000 --procs 2
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path

import common  # bench/common.py (this folder is on sys.path when run as a script)

EARTH_RADIUS_MI = 6371.009 / 1.609344  # geopy's great_circle radius, in miles
DB_NAME = "bench.sqlite3"
FTS_NAME = "fts.sqlite3"
INDEX_NAME = "index"
META_NAME = "meta.json"
TARGETS = {"p95_ms": 25.0, "build_s": 60.0, "index_mb": 150.0, "rss_mb": 600.0}
# Issue 12: a reindex of 300,000 programs in <= 180 s (the other targets are for 100,000).
BUILD_TARGETS = {300_000: 180.0}

# -- vocabulary ------------------------------------------------------------------------------

# Words programs use, per category slug (data/categories.csv), most common first.
CATEGORY_WORDS = {
    "housing": "housing rent rental assistance eviction prevention tenant landlord shelter "
    "homeless homelessness apartment lease mortgage foreclosure deposit relocation "
    "transitional affordable voucher repairs home ownership utilities move",
    "food": "food pantry meals nutrition groceries snap kitchen soup produce fresh vegetables "
    "breakfast lunch dinner delivery farmers market hunger distribution boxes formula "
    "garden wic dairy",
    "transportation": "transportation rides bus transit fare paratransit van appointments "
    "shuttle gas vouchers car repair driver license mileage reimbursement wheelchair "
    "accessible tokens pass travel commute",
    "mental-health": "counseling therapy therapist psychiatric crisis depression anxiety "
    "trauma recovery addiction substance peer support group hotline suicide prevention "
    "wellness behavioral treatment outpatient medication grief",
    "financial": "financial cash assistance benefits tax preparation budgeting credit debt "
    "savings coaching emergency funds loans banking income disability unemployment bills "
    "ssi tanf money",
    "utilities": "utility electric electricity heating gas water bill shutoff energy liheap "
    "furnace weatherization phone internet broadband payment arrears conservation crisis "
    "assistance",
    "health": "health clinic medical dental vision prescriptions pharmacy insurance medicaid "
    "medicare screening vaccines immunizations prenatal primary care doctor nurse hearing "
    "diabetes blood pressure",
    "legal": "legal aid lawyer attorney court custody divorce immigration citizenship "
    "expungement record appeals landlord tenant rights advocacy consultation protection "
    "guardianship wills benefits",
    "employment": "employment job jobs training resume interview career workforce "
    "apprenticeship placement skills vocational internship hiring coaching certification "
    "construction welding culinary computer",
    "education": "education ged esl english classes tutoring literacy adult youth homework "
    "college scholarship reading math school mentoring afterschool library digital "
    "citizenship",
    "childcare": "childcare child care daycare preschool infant toddler subsidy head start "
    "babysitting family parenting afterschool summer camp early learning development "
    "respite",
    "safety": "domestic violence abuse safety protection order hotline shelter victims "
    "advocacy sexual assault trafficking emergency crisis counseling safe housing "
    "stalking elder",
}
GENERAL_WORDS = (
    "services program community families residents adults seniors children youth veterans "
    "individuals low income eligible free support provides offers help county local "
    "neighborhood appointment walk referral case management bilingual spanish confidential "
    "intake application staff volunteers weekly monthly available information resources "
    "connect access center office serve serving people need household members qualify "
    "documents proof residency identification guidance trained caring respectful "
    "professional certified nonprofit faith based partnership outreach mobile visits "
    "evening weekend schedule call online forms phone person clients students parents "
    "grandparents immigrants refugees disabilities pregnant women men teens"
).split()
FILLER_WORDS = "the and for with to of in a our we who are is at by on from or their all".split()
NAME_NOUNS = {
    "housing": ["Rental Assistance", "Housing Counseling", "Emergency Shelter",
                "Eviction Prevention", "Home Repair", "Transitional Housing"],
    "food": ["Food Pantry", "Community Meals", "Soup Kitchen", "Mobile Market",
             "Senior Nutrition", "Fresh Produce"],
    "transportation": ["Medical Rides", "Bus Pass", "Transit Assistance", "Paratransit",
                       "Volunteer Drivers"],
    "mental-health": ["Crisis Counseling", "Recovery Support", "Behavioral Health",
                      "Peer Support", "Grief Counseling"],
    "financial": ["Tax Preparation", "Financial Coaching", "Emergency Cash", "Benefits Access",
                  "Credit Counseling"],
    "utilities": ["Utility Assistance", "Energy Assistance", "Weatherization",
                  "Water Bill Help", "Heating Assistance"],
    "health": ["Community Clinic", "Dental Care", "Prescription Help", "Health Screening",
               "Prenatal Care"],
    "legal": ["Legal Aid", "Tenant Rights", "Immigration Legal", "Expungement Clinic",
              "Family Law"],
    "employment": ["Job Training", "Career Center", "Workforce Development", "Resume Help",
                   "Apprenticeship"],
    "education": ["GED Classes", "ESL Classes", "Adult Literacy", "Homework Help",
                  "Youth Tutoring"],
    "childcare": ["Child Care", "Head Start", "Parenting Support", "Early Learning",
                  "Afterschool"],
    "safety": ["Domestic Violence", "Victim Services", "Safe House", "Crisis Hotline",
               "Sexual Assault"],
}
NAME_KINDS = ["Program", "Center", "Project", "Services", "Initiative", "Network", "Hub"]
ORG_KINDS = [
    "Community Action", "Family Services", "Catholic Charities", "United Way", "Salvation Army",
    "Urban League", "YMCA", "Lutheran Services", "Jewish Family Service", "Housing Authority",
    "Food Bank", "Legal Aid Society", "Health Center", "Area Agency on Aging", "Goodwill",
    "Neighborhood Alliance", "Mission", "Council of Churches",
]
STREETS = ["Main St", "Market St", "Penn Ave", "Liberty Ave", "Broad St", "Church St",
           "High St", "Walnut St", "Chestnut St", "Oak Ave", "State St", "Water St"]
STATUSES = [("active", 90), ("temporarily closed", 5), ("inactive", 3), ("defunct", 2)]
CAPACITIES = [(None, 50), ("capacity", 30), ("waitlist", 10), ("no-capacity", 5),
              ("additional-assessment-required", 5)]
AGES = [((None, None), 75), ((0, 17), 5), ((12, 24), 4), ((18, None), 6), ((60, None), 6),
        ((55, None), 4)]
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _t(text: str) -> dtime:
    return dtime(int(text[:2]), int(text[3:]))


# (weight, [(days, opens, closes)]); an empty list means hours unknown (no schedule rows).
HOURS = [
    (35, [(range(5), "09:00", "17:00")]),
    (15, [(range(5), "08:30", "16:30")]),
    (10, [(range(4), "09:00", "19:00"), ([4], "09:00", "15:00")]),
    (10, [([1, 3], "10:00", "14:00")]),
    (5, [(range(7), "00:00", "00:00")]),
    (10, [(range(5), "09:00", "17:00"), ([5], "10:00", "14:00")]),
    (5, [([0, 2, 4], "12:00", "15:30")]),
    (10, []),
]
LANGUAGES = [("es", 0.35), ("zh", 0.03), ("vi", 0.03), ("ru", 0.03), ("ar", 0.03),
             ("ne", 0.02), ("ht", 0.02), ("fr", 0.02), ("pt", 0.02)]
HOLIDAYS = [date(2026, 12, 25), date(2027, 1, 1)]


def _words(text: str) -> list[str]:
    return text.split()


def _zipf(words: list[str]) -> list[float]:
    """Cumulative Zipf weights (s = 1) for `words`, most common first."""
    total, out = 0.0, []
    for rank in range(1, len(words) + 1):
        total += 1.0 / rank
        out.append(total)
    return out


# -- the synthetic directory ------------------------------------------------------------------


@dataclass
class Program:
    """What the reference engine and the agreement check need about one program."""

    id: str
    name: str
    body: str  # organization, category names and description: the rest of the indexed text
    status: str
    categories: list[str]
    point: tuple[float, float]  # where search places it (ZIP centre when confidential)


@dataclass
class Directory:
    programs: list[Program] = field(default_factory=list)
    tables: dict[str, list[dict]] = field(default_factory=dict)


def pa_zips() -> list:
    """Active standard Pennsylvania ZIPs with their centroids, from the offline gazetteer."""
    import zipcodes

    from resdir.geo import lookup_zip

    codes = sorted(
        z["zip_code"] for z in zipcodes.filter_by(state="PA")
        if z["zip_code_type"] == "STANDARD" and z["active"] and z["lat"] and z["long"]
    )
    return [lookup_zip(code) for code in codes]


def generate(n: int, seed: int, zips: list, category_names: dict[str, str]) -> Directory:
    """N programs, a fifth as many organizations, one location (and address) each."""
    rnd = random.Random(seed)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    slugs = sorted(CATEGORY_WORDS)
    cat_words = {s: _words(CATEGORY_WORDS[s]) for s in slugs}
    cat_cum = {s: _zipf(w) for s, w in cat_words.items()}
    gen_cum = _zipf(GENERAL_WORDS)

    def pick(options):
        return rnd.choices([o for o, _ in options], [w for _, w in options])[0]

    def uid() -> str:
        return str(uuid.UUID(int=rnd.getrandbits(128), version=4))

    tables: dict[str, list[dict]] = {
        k: [] for k in ("organization", "location", "address", "service", "service_at_location",
                        "schedule", "language", "attribute", "phone")
    }
    orgs = []
    for _ in range(max(1, n // 5)):
        home = rnd.choice(zips)
        org = {"id": uid(), "name": f"{home.city} {rnd.choice(ORG_KINDS)}",
               "description": None, "last_modified": now}
        orgs.append((org, home))
        tables["organization"].append(org)

    directory = Directory(tables=tables)
    for i in range(n):
        org, home = rnd.choice(orgs)
        place = home if rnd.random() < 0.7 else rnd.choice(zips)
        cats = rnd.sample(slugs, rnd.choices([1, 2, 3], [50, 35, 15])[0])
        main = cats[0]
        name = f"{rnd.choice(NAME_NOUNS[main])} {rnd.choice(NAME_KINDS)}"
        if rnd.random() < 0.6:
            name = f"{place.city} {name}"
        words = []
        for _ in range(60):
            r = rnd.random()
            if r < 0.3:
                words.append(rnd.choice(FILLER_WORDS))
            elif r < 0.65:
                c = rnd.choice(cats)
                words.append(rnd.choices(cat_words[c], cum_weights=cat_cum[c])[0])
            else:
                words.append(rnd.choices(GENERAL_WORDS, cum_weights=gen_cum)[0])
        description = " ".join(words).capitalize() + "."
        status = pick(STATUSES)
        low, high = pick(AGES)
        sid, loc_id = uid(), uid()
        # About a mile or two around the ZIP centroid (a degree of latitude is 69 miles).
        lat = place.latitude + rnd.uniform(-0.025, 0.025)
        lon = place.longitude + rnd.uniform(-0.03, 0.03)
        confidential = main == "safety" and rnd.random() < 0.3
        tables["service"].append({
            "id": sid, "organization_id": org["id"], "name": name, "description": description,
            "status": status, "minimum_age": low, "maximum_age": high,
            "capacity_status": pick(CAPACITIES), "assured_date": date(2026, rnd.randint(1, 10), 1),
            "last_modified": now, "version": 1, "source_key": f"bench:{i}",
        })
        tables["location"].append({
            "id": loc_id, "organization_id": org["id"], "location_type": "physical",
            "name": name, "latitude": round(lat, 6), "longitude": round(lon, 6),
            "timezone": place.timezone, "confidential": confidential,
        })
        tables["address"].append({
            "id": uid(), "location_id": loc_id, "address_1": f"{rnd.randint(1, 4999)} "
            f"{rnd.choice(STREETS)}", "city": place.city, "state_province": "PA",
            "postal_code": place.zip, "country": "US", "address_type": "physical",
        })
        tables["service_at_location"].append(
            {"id": uid(), "service_id": sid, "location_id": loc_id}
        )
        phone = f"({rnd.randint(200, 989)}) 555-{rnd.randint(0, 9999):04d}"
        tables["phone"].append({"id": uid(), "service_id": sid, "type": "voice", "number": phone})
        spans = rnd.choices([h for _, h in HOURS], [w for w, _ in HOURS])[0]
        position = 0
        for days, opens, closes in spans:
            for day in days:
                tables["schedule"].append({
                    "id": uid(), "service_id": sid, "freq": "WEEKLY", "byday": WEEKDAYS[day],
                    "opens_at": _t(opens), "closes_at": _t(closes), "closed": False,
                    "position": position,
                })
                position += 1
        if spans and rnd.random() < 0.2:
            for k, day in enumerate(HOLIDAYS):
                tables["schedule"].append({
                    "id": uid(), "service_id": sid, "valid_from": day, "valid_to": day,
                    "description": "Closed", "closed": True, "position": 100 + k,
                })
        codes = ["en"] if rnd.random() < 0.95 else []
        codes += [code for code, p in LANGUAGES if rnd.random() < p]
        for code in codes:
            tables["language"].append({"id": uid(), "service_id": sid, "code": code})
        for c in cats:
            tables["attribute"].append({
                "id": uid(), "link_id": sid, "link_type": "category", "link_entity": "service",
                "taxonomy_term_id": c,  # the slug for now; the term id once categories exist
            })
        point = (place.latitude, place.longitude) if confidential else (lat, lon)
        body = " ".join([org["name"], *sorted(category_names[c] for c in cats), description])
        directory.programs.append(Program(sid, name, body, status, sorted(cats), point))
    return directory


# -- loading and indexing ---------------------------------------------------------------------


def make_app(workdir: Path):
    from resdir import create_app

    return create_app({
        "RESDIR_DATABASE_URL": f"sqlite:///{workdir / DB_NAME}",
        "RESDIR_INDEX_DIR": str(workdir / INDEX_NAME),
        "RESDIR_INDEX_SYNC": False,
        "TESTING": True,
    })


def load_database(app, directory: Directory, migrations: bool = False) -> None:
    """Create the schema (`db.create_all()`, or the Alembic migrations with `migrations`, as
    bench/replicas.py wants on PostgreSQL) and bulk-insert every row with SQLAlchemy Core."""
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from resdir.directory import operations
    from resdir.extensions import db

    with app.app_context():
        if migrations:
            upgrade(directory=app.extensions["migrate"].directory)
        else:
            db.create_all()
        terms = operations.ensure_categories()
        db.session.commit()
        term_ids = {slug: term.id for slug, term in terms.items()}
        for row in directory.tables["attribute"]:
            row["taxonomy_term_id"] = term_ids[row["taxonomy_term_id"]]
        sqlite = db.engine.dialect.name == "sqlite"
        with db.engine.begin() as conn:
            if sqlite:
                conn.exec_driver_sql("PRAGMA synchronous=OFF")
            for name, given in directory.tables.items():
                table = db.metadata.tables[name]
                keys = {k for row in given for k in row}  # executemany needs the same keys
                rows = [{k: row.get(k) for k in keys} for row in given]
                for start in range(0, len(rows), 5000):
                    conn.execute(insert(table), rows[start : start + 5000])
            if sqlite:
                conn.exec_driver_sql("ANALYZE")  # as `resdir import` does on SQLite
        db.session.remove()


def build_index(app, procs: int) -> dict:
    """`indexing.reindex()` timed, with the time spent building documents told apart."""
    from resdir.directory import indexing

    spent = [0.0, 0.0]  # wall, CPU
    real_documents = indexing.documents

    def timed_documents(*args, **kwargs):
        it = real_documents(*args, **kwargs)
        while True:
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                doc = next(it)
            except StopIteration:
                return
            finally:
                spent[0] += time.perf_counter() - t0
                spent[1] += time.process_time() - c0
            yield doc

    with app.app_context():
        indexing.documents = timed_documents
        try:
            t0, c0 = time.perf_counter(), cpu_seconds()
            count = indexing.reindex(procs=procs)
            total, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        finally:
            indexing.documents = real_documents
        size = indexing.search_index().size_bytes()
        indexing.search_index().close()
    return {"count": count, "build_s": total, "documents_s": spent[0],
            "whoosh_s": total - spent[0], "index_mb": size / 1e6, "cpu_s": cpu,
            "documents_cpu_s": spent[1], "whoosh_cpu_s": cpu - spent[1]}


def cpu_seconds() -> float:
    """User and system CPU time of this process and its finished children (Whoosh's
    writer processes when procs > 1)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def build_fts(path: Path, directory: Directory) -> dict:
    """The reference: FTS5 over the same text, a (lat, lon) B-tree and a category table."""
    if path.exists():
        path.unlink()
    t0 = time.perf_counter()
    con = sqlite3.connect(path)
    con.executescript("""
        PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
        CREATE TABLE prog(id INTEGER PRIMARY KEY, sid TEXT, status TEXT, lat REAL, lon REAL);
        CREATE TABLE prog_cat(slug TEXT, prog INTEGER, PRIMARY KEY (slug, prog)) WITHOUT ROWID;
        CREATE VIRTUAL TABLE fts USING fts5(name, body, content='',
                                            tokenize='porter unicode61');
    """)
    with con:
        con.executemany(
            "INSERT INTO prog VALUES (?, ?, ?, ?, ?)",
            ((i, p.id, p.status, p.point[0], p.point[1])
             for i, p in enumerate(directory.programs, 1)),
        )
        con.executemany(
            "INSERT INTO prog_cat VALUES (?, ?)",
            ((c, i) for i, p in enumerate(directory.programs, 1) for c in p.categories),
        )
        con.executemany(
            "INSERT INTO fts(rowid, name, body) VALUES (?, ?, ?)",
            ((i, p.name, p.body) for i, p in enumerate(directory.programs, 1)),
        )
        con.execute("CREATE INDEX prog_lat_lon ON prog(lat, lon)")
        con.execute("INSERT INTO fts(fts) VALUES ('optimize')")
    con.execute("ANALYZE")
    con.close()
    return {"build_s": time.perf_counter() - t0, "index_mb": path.stat().st_size / 1e6}


# -- queries ----------------------------------------------------------------------------------


def make_queries(count: int, seed: int, zips: list) -> list[dict]:
    """1-2 words (mostly from the category's own words), one category, a PA ZIP, 5-25 mi."""
    rnd = random.Random(seed + 1)
    slugs = sorted(CATEGORY_WORDS)
    out = []
    for _ in range(count):
        slug = rnd.choice(slugs)
        pool = _words(CATEGORY_WORDS[slug]) if rnd.random() < 0.7 else GENERAL_WORDS
        words = rnd.sample(pool, rnd.choice([1, 2]))
        out.append({"q": " ".join(words), "category": slug, "zip": rnd.choice(zips).zip,
                    "radius_mi": rnd.randint(5, 25)})
    return out


def haversine_mi(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_MI * math.asin(min(1.0, math.sqrt(h)))


def percentiles(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)] * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM first: ru_maxrss survives exec on Linux, so a child
    started by a big parent would report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def rss_now_mb() -> float:
    """This process's resident memory now (VmRSS): what a serving worker holds."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timed_requests(client, queries: list[dict], runs: int = 2):
    """Each query through GET /api/v1/search, `runs` times; wall and CPU seconds of each
    request of the last run (CPU time is what the figures rest on when the machine is
    shared), the first run's wall times, and the last run's bodies."""
    first: list[float] = []
    for run in range(runs):
        wall, cpu, bodies = [], [], []
        for q in queries:
            t0, c0 = time.perf_counter(), time.process_time()
            response = client.get("/api/v1/search", query_string=q)
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            if response.status_code != 200:
                raise SystemExit(f"{q}: HTTP {response.status_code} {response.get_data()!r}")
            bodies.append(response.get_json())
        if run == 0:
            first = wall
    return wall, cpu, first, bodies


def serve_reference(workdir: Path, queries: list[dict]) -> dict:
    """Child process: the queries through bench/fts_reference.py (Flask over FTS5 on the
    same database, the same JSON), as serve_resdir sends them to resdir."""
    import fts_reference

    app = fts_reference.create(str(workdir / DB_NAME))
    wall, cpu, _, _ = timed_requests(app.test_client(), queries)
    return {"latency": percentiles(wall), "cpu": percentiles(cpu), "rss_mb": peak_rss_mb(),
            "rss_now_mb": rss_now_mb()}


def serve_resdir(workdir: Path, queries: list[dict]) -> dict:
    """Child process: the queries through GET /api/v1/search, twice; the second run timed."""
    from resdir.directory import indexing, searching
    from resdir.search import SearchIndex

    app = make_app(workdir)
    # The second run of the same queries measures searching, not the answers an API
    # process keeps for repeated queries (with them, it never reached the engine).
    app.config["RESDIR_SEARCH_CACHE_ENTRIES"] = 0
    engine_times: list[float] = []
    engine_cpu: list[float] = []
    real_search = SearchIndex.search

    def timed_search(self, req):
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            return real_search(self, req)
        finally:
            engine_times.append(time.perf_counter() - t0)
            engine_cpu.append(time.process_time() - c0)

    SearchIndex.search = timed_search
    times, cpu, first, bodies = timed_requests(app.test_client(), queries)
    engine_times[:] = engine_times[len(queries):]
    engine_cpu[:] = engine_cpu[len(queries):]
    answers = [{"ids": [r["id"] for r in body["results"]], "total": body["total"],
                "matched": body["matched"], "corrected": body["corrected"]} for body in bodies]
    rss, rss_now = peak_rss_mb(), rss_now_mb()
    SearchIndex.search = real_search
    # Untimed: every eligible id (the engine itself, past the API's page-size limit).
    from werkzeug.datastructures import MultiDict

    with app.test_request_context():
        for q, answer in zip(queries, answers, strict=True):
            parsed = searching.parse(MultiDict({k: str(v) for k, v in q.items()}))
            parsed.request.per_page = 10**9
            result = indexing.search_index().search(parsed.request)
            answer["eligible"] = [h.id for h in result.hits]
    return {"latency": percentiles(times), "cold": percentiles(first), "cpu": percentiles(cpu),
            "engine": percentiles(engine_times), "engine_cpu": percentiles(engine_cpu),
            "rss_mb": rss, "rss_now_mb": rss_now, "answers": answers}


FTS_SQL = """
    SELECT p.sid, p.lat, p.lon, bm25(fts, 2.0, 1.0)
    FROM fts JOIN prog p ON p.id = fts.rowid
    WHERE fts MATCH ? AND p.status = 'active'
      AND p.lat BETWEEN ? AND ? AND p.lon BETWEEN ? AND ?
      AND EXISTS (SELECT 1 FROM prog_cat c WHERE c.slug = ? AND c.prog = p.id)
"""


def bounding_box(lat: float, lon: float, radius_mi: float) -> tuple[float, ...]:
    """(min_lat, min_lon, max_lat, max_lon) around the circle (as resdir.geo computes it)."""
    dlat = math.degrees(radius_mi / EARTH_RADIUS_MI)
    dlon = min(180.0, dlat / max(math.cos(math.radians(lat)), 0.01))
    return lat - dlat, lon - dlon, lat + dlat, lon + dlon


def fts_search(con, q: dict, limit: int = 20):
    """Top `limit` ids by bm25 (then distance) and every eligible id, for one query."""
    point = (q["lat"], q["lon"])
    words = "".join(c if c.isalnum() else " " for c in q["q"].lower()).split()
    match = " ".join(f'"{w}"' for w in words)
    min_lat, min_lon, max_lat, max_lon = bounding_box(point[0], point[1], q["radius_mi"])
    found = []
    for sid, lat, lon, rank in con.execute(
        FTS_SQL, (match, min_lat, max_lat, min_lon, max_lon, q["category"])
    ):
        d = haversine_mi(point, (lat, lon))
        if d <= q["radius_mi"]:
            found.append((rank, d, sid))
    found.sort()
    return [sid for _, _, sid in found[:limit]], [sid for _, _, sid in found]


def serve_fts(workdir: Path, queries: list[dict]) -> dict:
    """Child process: the same queries on the FTS5 reference, twice; the second run timed.
    The ZIP's point comes with the query: this process imports nothing from resdir (the ZIP
    gazetteer alone would add 150 MB to its peak RSS)."""
    con = sqlite3.connect(workdir / FTS_NAME)
    answers: list[dict] = []
    for _ in range(2):
        times, answers = [], []
        for q in queries:
            t0 = time.perf_counter()
            top, eligible = fts_search(con, q)
            times.append(time.perf_counter() - t0)
            answers.append({"ids": top, "eligible": eligible})
    return {"latency": percentiles(times), "rss_mb": peak_rss_mb(), "answers": answers}


def run_child(mode: str, workdir: Path, *extra: str) -> dict:
    out = workdir / f"{mode}.json"
    subprocess.run(
        [sys.executable, __file__, f"--{mode}", "--workdir", str(workdir), *extra], check=True,
    )
    return json.loads(out.read_text())


# -- comparing --------------------------------------------------------------------------------


def plain(text: str) -> bool:
    """True when resdir searches exactly the typed words (no synonyms, optional words or
    needs that match by category)."""
    from resdir.search import querytext

    return querytext.is_plain(querytext.words(text))


def agreement(directory: Directory, queries: list[dict], ours: dict, ref: dict) -> dict:
    from resdir.geo import lookup_zip

    by_id = {p.id: p for p in directory.programs}
    checked = passed = 0
    compared = same_sets = same_top = superset = synonym_queries = 0
    overlap = []
    for q, mine, theirs in zip(queries, ours["answers"], ref["answers"], strict=True):
        place = lookup_zip(q["zip"])
        for sid in mine["eligible"]:
            p = by_id[sid]
            checked += 1
            passed += (p.status == "active" and q["category"] in p.categories
                       and haversine_mi((place.latitude, place.longitude), p.point)
                       <= q["radius_mi"] + 1e-9)
        if mine["matched"] != "all" or mine["corrected"]:
            continue
        if not plain(q["q"]):
            synonym_queries += 1
            superset += set(mine["eligible"]) >= set(theirs["eligible"])
            continue
        compared += 1
        same_sets += set(mine["eligible"]) == set(theirs["eligible"])
        a, b = set(mine["ids"]), set(theirs["ids"])
        same_top += a == b
        overlap.append(len(a & b) / max(len(a), len(b)) if a or b else 1.0)
    return {
        "ids_checked": checked,
        "filters_ok_pct": 100.0 * passed / checked if checked else 100.0,
        "plain_queries": compared,
        "eligible_same_pct": 100.0 * same_sets / compared if compared else 0.0,
        "top20_same_pct": 100.0 * same_top / compared if compared else 0.0,
        "top20_overlap_pct": 100.0 * statistics.mean(overlap) if overlap else 0.0,
        "synonym_queries": synonym_queries,
        "synonym_superset_pct": 100.0 * superset / synonym_queries if synonym_queries else 0.0,
        "fallback_queries": sum(a["matched"] != "all" or a["corrected"] for a in ours["answers"]),
        "empty_queries": sum(not a["eligible"] for a in ref["answers"]),
    }


# -- main -------------------------------------------------------------------------------------


def _load() -> str:
    """The 1-minute load average: above the core count, something else was running."""
    return f"{os.getloadavg()[0]:.1f}"


def _table(rows: list[tuple]) -> str:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
             for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def benchmark(args) -> None:
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="rdbench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    meta = {"n": args.n, "seed": args.seed}
    print(f"workdir {workdir}  N={args.n}  queries={args.queries}  procs={args.procs}  "
          f"cores={os.cpu_count()}  load {_load()}", flush=True)

    from resdir.directory import operations

    t0 = time.perf_counter()
    zips = pa_zips()
    with open(operations.CATEGORIES_FILE, encoding="utf-8") as handle:
        import csv

        names = {row["slug"]: row["name"] for row in csv.DictReader(handle)}
    directory = generate(args.n, args.seed, zips, names)
    print(f"generated {args.n} programs in {time.perf_counter() - t0:.1f} s", flush=True)

    app = make_app(workdir)
    meta_path = workdir / META_NAME
    reuse = (args.reuse_db and (workdir / DB_NAME).exists() and meta_path.exists()
             and json.loads(meta_path.read_text()) == meta)
    if not reuse:
        for name in (DB_NAME, META_NAME):
            (workdir / name).unlink(missing_ok=True)
        t0 = time.perf_counter()
        load_database(app, directory)
        meta_path.write_text(json.dumps(meta))
        print(f"loaded the database in {time.perf_counter() - t0:.1f} s "
              f"({(workdir / DB_NAME).stat().st_size / 1e6:.0f} MB)", flush=True)
    else:
        print("reusing the database in the workdir", flush=True)
    del directory.tables
    shutil.rmtree(workdir / INDEX_NAME, ignore_errors=True)

    # In a process of its own, as `resdir reindex` runs: this one holds the generated
    # directory (a gigabyte of objects that Python's garbage collector would walk).
    built = run_child("build-index", workdir, "--procs", str(args.procs))
    print(f"whoosh: {built['count']} documents, build {built['build_s']:.1f} s "
          f"(documents {built['documents_s']:.1f} s, whoosh {built['whoosh_s']:.1f} s), "
          f"CPU {built['cpu_s']:.1f} s (documents {built['documents_cpu_s']:.1f} s), "
          f"{built['index_mb']:.1f} MB, reindex peak RSS {built['rss_mb']:.0f} MB"
          + (f" (writer processes {built['children_rss_mb']:.0f} MB)" if args.procs > 1 else "")
          + f", "
          f"load {_load()}", flush=True)
    fts = build_fts(workdir / FTS_NAME, directory)
    print(f"fts5: build {fts['build_s']:.1f} s, {fts['index_mb']:.1f} MB", flush=True)

    queries = make_queries(args.queries, args.seed, zips)
    (workdir / "queries.json").write_text(json.dumps(queries))
    points = {z.zip: (z.latitude, z.longitude) for z in zips}
    (workdir / "fts-queries.json").write_text(json.dumps(
        [dict(q, lat=points[q["zip"]][0], lon=points[q["zip"]][1]) for q in queries]
    ))
    ours = run_child("serve-queries", workdir)
    api = run_child("serve-reference", workdir)
    ref = run_child("serve-fts", workdir)
    agree = agreement(directory, queries, ours, ref)

    rows = [("engine", "N", "build s", "index MB", "peak RSS MB", "RSS MB", "p50 ms",
             "p95 ms", "CPU p50 ms", "CPU p95 ms")]
    for label, b, r in (("resdir API (Whoosh)", built, ours),
                        ("FTS5 reference API (bench/fts_reference.py)", {}, api),
                        ("SQLite FTS5 query only", fts, ref)):
        cpu = r.get("cpu")
        rows.append((label, f"{args.n:,}", f"{b['build_s']:.1f}" if b else "-",
                     f"{b['index_mb']:.1f}" if b else "-", f"{r['rss_mb']:.0f}",
                     f"{r['rss_now_mb']:.0f}" if "rss_now_mb" in r else "-",
                     f"{r['latency']['p50_ms']:.1f}", f"{r['latency']['p95_ms']:.1f}",
                     f"{cpu['p50_ms']:.1f}" if cpu else "-",
                     f"{cpu['p95_ms']:.1f}" if cpu else "-"))
    e = ours["engine_cpu"]
    rows.append(("resdir engine only (SearchIndex.search)", f"{args.n:,}", "-", "-", "-", "-",
                 f"{ours['engine']['p50_ms']:.1f}", f"{ours['engine']['p95_ms']:.1f}",
                 f"{e['p50_ms']:.1f}", f"{e['p95_ms']:.1f}"))
    print()
    print(_table(rows))
    print(f"API p95 / engine p95 (CPU): {ours['cpu']['p95_ms'] / e['p95_ms']:.2f} (target <= 2);"
          f" resdir API p95 / reference API p95 (CPU): "
          f"{ours['cpu']['p95_ms'] / api['cpu']['p95_ms']:.2f}  (load {_load()})")
    e = ours["engine"]
    c = ours["cold"]
    print(f"\nresdir engine only (SearchIndex.search): p50 {e['p50_ms']:.1f} ms, "
          f"p95 {e['p95_ms']:.1f} ms; first (cold) run through the API: p50 "
          f"{c['p50_ms']:.1f} ms, p95 {c['p95_ms']:.1f} ms, max {c['max_ms']:.0f} ms; "
          f"build = documents {built['documents_s']:.1f} s + whoosh {built['whoosh_s']:.1f} s")
    print(f"agreement: {agree['filters_ok_pct']:.1f}% of {agree['ids_checked']} eligible ids "
          f"resdir returned pass the filters (active, category, radius); "
          f"{agree['plain_queries']} plain-word queries: eligible sets equal "
          f"{agree['eligible_same_pct']:.1f}%, top-20 sets equal {agree['top20_same_pct']:.1f}% "
          f"(mean overlap {agree['top20_overlap_pct']:.1f}%); {agree['synonym_queries']} "
          f"synonym queries: resdir's set contains FTS5's in {agree['synonym_superset_pct']:.1f}%;"
          f" {agree['fallback_queries']} fell back to any-word or a correction; "
          f"{agree['empty_queries']} had no FTS5 result")
    p95, rss = ours["latency"]["p95_ms"], ours["rss_mb"]
    checks = [("p95", p95, TARGETS["p95_ms"], "ms"), ("build", built["build_s"],
              BUILD_TARGETS.get(args.n, TARGETS["build_s"]), "s"),
              ("index", built["index_mb"], TARGETS["index_mb"], "MB"),
              ("peak RSS", rss, TARGETS["rss_mb"], "MB")]
    print("targets: " + ", ".join(
        f"{name} {v:.1f} {unit} {'<=' if v <= t else '>'} {t:g} {'ok' if v <= t else 'MISSED'}"
        for name, v, t, unit in checks) + f"  (load {_load()})")
    (workdir / "result.json").write_text(json.dumps(
        {"n": args.n, "procs": args.procs, "whoosh": built, "fts": fts, "agreement": agree,
         "resdir_latency": ours["latency"], "resdir_engine": ours["engine"],
         "resdir_cold": ours["cold"],
         "resdir_rss_mb": rss, "fts_latency": ref["latency"], "fts_rss_mb": ref["rss_mb"]},
        indent=2))
    if not args.workdir and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.data_arguments(parser, "reuse the workdir's database when it has the same N and seed")
    parser.add_argument("--queries", type=int, default=200, help="queries (default 200)")
    parser.add_argument("--serve-queries", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-fts", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-reference", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--build-index", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build_index:
        workdir = Path(args.workdir)
        result = build_index(make_app(workdir), args.procs)
        result["rss_mb"] = peak_rss_mb()
        # Whoosh's writer processes (procs > 1); forked, so this counts pages they share.
        result["children_rss_mb"] = (
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        )
        (workdir / "build-index.json").write_text(json.dumps(result))
        return
    if args.serve_queries or args.serve_fts or args.serve_reference:
        workdir = Path(args.workdir)
        name = "fts-queries.json" if args.serve_fts else "queries.json"
        queries = json.loads((workdir / name).read_text())
        mode, serve = (("serve-queries", serve_resdir) if args.serve_queries else
                       ("serve-fts", serve_fts) if args.serve_fts else
                       ("serve-reference", serve_reference))
        result = serve(workdir, queries)
        (workdir / f"{mode}.json").write_text(json.dumps(result))
        return
    benchmark(args)


if __name__ == "__main__":
    main()
