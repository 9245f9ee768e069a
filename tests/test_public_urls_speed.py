"""The most expensive anonymous URLs stay cheap at 10,000 programs (issue 9 item 2).

`GET /hsds/service_at_locations?postcode=...` once loaded every program as objects and
measured distances in Python: 2.9 s at 10,000 programs, so a few anonymous requests took
every worker. The issue asks for a test that times the worst public URLs at 10,000 with a
generous bound; bench/public.py measures them at 100,000 (target: under 1 s each).
"""

import gc
import random
import time
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from resdir.directory import indexing, operations
from resdir.extensions import db
from resdir.geo import lookup_zip

pytestmark = pytest.mark.xdist_group("ten-thousand-programs")  # one build, one process

N = 10_000
BOUND_S = 2.0  # seconds of CPU, generous: each takes about a tenth of that
ZIPS = ["15213", "15219", "15222", "15201", "15206", "15212", "15090", "15108", "15601",
        "16801", "17101", "19103", "18101", "16501", "15301", "15701"]
WORDS = ("food pantry meals rent housing shelter counseling crisis transit rides legal aid "
         "clinic dental tax help jobs training childcare utility heating services support "
         "community families seniors youth").split()
URLS = [
    "/hsds/service_at_locations?postcode=15213",
    "/hsds/service_at_locations?postcode=15213&proximity=402336",
    "/hsds/service_at_locations?postcode=15213&proximity=402336&page=300",
    "/hsds/service_at_locations?postcode=15213&proximity=40000&search=help",
    "/hsds/services?search=services",
    "/hsds/services?search=food&per_page=100&full=true",
    "/hsds/organizations?search=a&full=true&full_service=true&per_page=100",
    "/api/v1/search",
    "/api/v1/search?q=services&per_page=100&page=90",
    "/api/v1/search?zip=15213&radius_mi=250&sort=distance&per_page=100",
    "/?q=services&zip=15213&radius_mi=250",
]


def _directory(seed: int = 9) -> dict[str, list[dict]]:
    """N programs around a few Pennsylvania ZIPs, a fifth with service areas of each kind."""
    rnd = random.Random(seed)
    places = [lookup_zip(z) for z in ZIPS]
    terms = {t.code: t.id for t in operations.categories()}
    uid = lambda: str(uuid.UUID(int=rnd.getrandbits(128), version=4))  # noqa: E731
    now = datetime(2026, 11, 1, tzinfo=UTC)
    rows: dict[str, list[dict]] = {k: [] for k in (
        "organization", "location", "address", "service", "service_at_location", "attribute",
        "service_area")}
    orgs = [{"id": uid(), "name": f"Org {i} {rnd.choice(WORDS)}", "last_modified": now}
            for i in range(N // 5)]
    rows["organization"] = orgs
    for i in range(N):
        org, place = rnd.choice(orgs), rnd.choice(places)
        sid, lid = uid(), uid()
        rows["service"].append({
            "id": sid, "organization_id": org["id"], "name": " ".join(rnd.sample(WORDS, 3)),
            "description": " ".join(rnd.choices(WORDS, k=30)), "status": "active",
            "last_modified": now, "version": 1, "source_key": f"speed:{i}"})
        rows["location"].append({
            "id": lid, "organization_id": org["id"], "location_type": "physical",
            "name": f"Site {i}", "latitude": place.latitude + rnd.uniform(-0.05, 0.05),
            "longitude": place.longitude + rnd.uniform(-0.05, 0.05),
            "timezone": "America/New_York", "confidential": i % 50 == 0})
        rows["address"].append({
            "id": uid(), "location_id": lid, "address_1": f"{i} Main St", "city": place.city,
            "state_province": "PA", "postal_code": place.zip, "country": "US",
            "address_type": "physical"})
        rows["service_at_location"].append({"id": uid(), "service_id": sid, "location_id": lid})
        rows["attribute"].append({
            "id": uid(), "link_id": sid, "link_type": "category", "link_entity": "service",
            "taxonomy_term_id": terms[rnd.choice(sorted(terms))]})
        area = {"id": uid(), "service_id": sid, "extent_type": "text", "name": None,
                "extent": None, "radius_mi": None, "center_latitude": None,
                "center_longitude": None}
        kind = i % 10
        if kind == 1:
            rows["service_area"].append({**area, "kind": "postal_codes", "extent": ";".join(
                rnd.sample(ZIPS, 3))})
        elif kind == 2:
            rows["service_area"].append({**area, "kind": "county",
                                         "extent": f"{place.county}, PA"})
        elif kind == 3:
            rows["service_area"].append({**area, "kind": "radius", "radius_mi": 10.0,
                                         "center_latitude": place.latitude,
                                         "center_longitude": place.longitude})
        elif kind == 4 and i % 20 == 4:
            lat, lon = place.latitude, place.longitude
            ring = [[lon - .1, lat - .1], [lon + .1, lat - .1], [lon + .1, lat + .1],
                    [lon - .1, lat + .1], [lon - .1, lat - .1]]
            rows["service_area"].append({**area, "kind": "polygon", "extent_type": "geojson",
                                         "extent": '{"type": "Polygon", "coordinates": ['
                                         + str(ring) + "]}"})
    return rows


@pytest.fixture(scope="module")
def big(module_app):
    """Built once for the module: the tests here only read."""
    app = module_app
    with app.app_context():
        rows = _directory()
        with db.engine.begin() as connection:
            for name, table_rows in rows.items():
                for start in range(0, len(table_rows), 2000):
                    connection.execute(insert(db.metadata.tables[name]),
                                       table_rows[start:start + 2000])
        indexing.reindex()
        db.session.remove()
    return app


def test_worst_public_urls_answer_quickly_at_10000_programs(big):
    client = big.test_client()
    slow = []
    # A serving worker freezes its start-up heap (gunicorn.conf.py), so a full collection
    # walks only what came later. This test process also holds every earlier test's
    # objects (xdist runs hundreds in it): a full collection during the timed request then
    # cost 2.4 s of CPU in the suite against 0.7 s alone, which is the test process's cost,
    # not the request's. Freeze what exists before the requests, as a worker does.
    gc.collect()
    gc.freeze()
    try:
        _time_urls(client, slow)
    finally:
        gc.unfreeze()
    assert not slow, slow


def _time_urls(client, slow: list[str]) -> None:
    for url in URLS:
        client.get(url)  # the first request of a kind opens the index and warms caches
        # CPU time of this thread (the test client answers in it): the app's own cost of the
        # request, whatever else the machine runs at the same time (wall time on a busy
        # 2-core machine measured the neighbours).
        started = time.thread_time()
        response = client.get(url)
        seconds = time.thread_time() - started
        assert response.status_code == 200, (url, response.get_data()[:300])
        if seconds > BOUND_S:
            slow.append(f"{url}: {seconds:.2f} s")


def _old_answer(zip_code: str, miles: float | None) -> list[str]:
    """What the endpoint answered before (every program as objects, measured in Python)."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from resdir.directory import models as m
    from resdir.directory.documents import location_point
    from resdir.geo import distance_mi
    from resdir.matching import eligibility
    from resdir.matching.facts import parse_facts

    place = lookup_zip(zip_code)
    facts = parse_facts({"zip": zip_code}, datetime.now(UTC).date())
    sal = m.ServiceAtLocation
    rows = db.session.scalars(
        select(sal).join(m.Service).join(m.Location)
        .order_by(m.Service.name, m.Service.id, m.Location.name, sal.id)
        .options(selectinload(sal.location).selectinload(m.Location.addresses),
                 selectinload(sal.service).selectinload(m.Service.service_areas))).all()
    if miles is None:
        return [r.id for r in rows if not r.service.service_areas or eligibility._residency(
            r.service.service_areas, facts).result != eligibility.FAIL]
    measured = []
    for r in rows:
        point = location_point(r.location)
        d = distance_mi((place.latitude, place.longitude), point) if point else None
        if d is not None and d <= miles:
            measured.append((d, r.id))
    return [i for _, i in sorted(measured, key=lambda x: x[0])]


CASES = [("postcode=15213", None), ("postcode=16801", None),
         ("postcode=15213&proximity=8000", 8000 / 1609.344),
         ("postcode=15206&proximity=160000", 160000 / 1609.344)]


def test_postcode_answers_equal_the_old_ones(big):
    """The lean path answers exactly what loading everything answered, in the same order.
    (One test for all cases: building 10,000 programs is the slow part.)"""
    client = big.test_client()
    for query, miles in CASES:
        with big.app_context():
            expected = _old_answer(query.split("&")[0].removeprefix("postcode="), miles)
        assert 0 < len(expected) < N, query
        for page in (1, 3, len(expected) // 100 + 1):
            body = client.get(f"/hsds/service_at_locations?{query}&per_page=100&page={page}"
                              ).get_json()
            assert body["total_items"] == len(expected), query
            assert [c["id"] for c in body["contents"]] == expected[(page - 1) * 100:
                                                                   page * 100], (query, page)
