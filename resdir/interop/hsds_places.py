"""Which service-at-locations `GET /hsds/service_at_locations?postcode=...` answers, in order.

This used to load every program with its locations and areas as objects and measure in
Python: 2.9 s at 10,000 programs, 8.6 s at 41,000, so a few anonymous requests took every
worker. Now only plain columns are read, and only the page's rows become objects:

- with `proximity`: a bounding box in SQL, then exact great-circle distances (numpy) on the
  rows inside it; confidential locations are measured from their ZIP's centre, as the index
  does, so the box cannot use their stored coordinates;
- without: a program serves the postcode unless it has service areas and every one of them
  excludes it (matching's residency rule). Areas that could include the postcode are narrowed
  in SQL (ZIP lists holding its digits, counties named like its county, radii whose centre
  lies within the radius in latitude, every polygon; other kinds say nothing and so serve),
  then checked exactly by matching's rules. Without `search` the programs that pass go into
  the SQL query, which counts and pages itself.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import and_, exists, func, or_, select

from resdir import gazetteer
from resdir.directory import models as m
from resdir.extensions import db
from resdir.geo import Place, UnknownZip, bounding_box, distance_mi, distances_mi, lookup_zip
from resdir.matching import areas
from resdir.matching.facts import parse_facts

SAL, L, S, A = m.ServiceAtLocation, m.Location, m.Service, m.ServiceArea
Address = m.Address
MAPPED_KINDS = ("postal_codes", "county", "radius", "polygon")
MILES_PER_DEGREE_LAT = 69.0  # a little under the true 69.09: the band errs on the wide side
CHUNK = 500  # ids per IN list
MAX_IN_LIST = 20_000  # SQLite allows 32,766 parameters in one statement


def ordered_ids(conditions: list, ranked: list[str] | None, place: Place | None,
                miles: float | None) -> list[str]:
    """Service-at-location ids in answer order: rank (with `search`), then distance (with
    `proximity`), else by program name."""
    query = (select(SAL.id, SAL.service_id, SAL.location_id, L.latitude, L.longitude,
                    L.confidential)
             .join(S, S.id == SAL.service_id).join(L, L.id == SAL.location_id)
             .where(*conditions).order_by(S.name, S.id, L.name, SAL.id))
    if place is not None and miles is not None:
        low_lat, low_lon, high_lat, high_lon = bounding_box(place.latitude, place.longitude,
                                                            miles)
        query = query.where(or_(L.confidential.is_(True), and_(
            L.latitude.between(low_lat, high_lat), L.longitude.between(low_lon, high_lon))))
    rows = db.session.execute(query).all()
    if ranked is not None:
        rank = {sid: i for i, sid in enumerate(ranked)}
        rows = sorted((r for r in rows if r.service_id in rank),
                      key=lambda r: rank[r.service_id])
    if place is None:
        return [r.id for r in rows]
    if miles is None:
        excluded = excluded_services(place)
        return [r.id for r in rows if r.service_id not in excluded]
    dist = _distances(place, rows, miles)
    inside = np.flatnonzero(dist <= miles)
    order = inside[np.argsort(dist[inside], kind="stable")]
    return [rows[i].id for i in order.tolist()]


def _distances(place: Place, rows: list, miles: float) -> np.ndarray:
    lats = np.array([math.nan if r.latitude is None else r.latitude for r in rows], float)
    lons = np.array([math.nan if r.longitude is None else r.longitude for r in rows], float)
    hidden = [i for i, r in enumerate(rows) if r.confidential]
    points = _confidential_points({rows[i].location_id for i in hidden})
    for i in hidden:
        lats[i], lons[i] = points.get(rows[i].location_id) or (math.nan, math.nan)
    with np.errstate(invalid="ignore"):
        return _measured((place.latitude, place.longitude), lats, lons, miles)


def _measured(origin: tuple[float, float], lats: np.ndarray, lons: np.ndarray,
              miles: float) -> np.ndarray:
    """Distances in miles (inf where unknown); resdir.geo decides those at the edge."""
    dist = distances_mi(*origin, lats, lons)
    dist[np.isnan(dist)] = math.inf
    for i in np.flatnonzero(np.abs(dist - miles) <= 1e-9 * miles).tolist():
        dist[i] = distance_mi(origin, (lats[i], lons[i]))
    return dist


def _confidential_points(location_ids: set[str]) -> dict[str, tuple[float, float] | None]:
    """Where confidential locations are searched from: their address's ZIP centre, as
    documents.location_point places them (a physical address first)."""
    ids, found = sorted(location_ids), {}
    for start in range(0, len(ids), CHUNK):
        for row in db.session.execute(
                select(Address.location_id, Address.postal_code, Address.address_type)
                .where(Address.location_id.in_(ids[start:start + CHUNK]))):
            kept = found.get(row.location_id)
            if kept is None or (row.address_type == "physical" and kept[1] != "physical"):
                found[row.location_id] = (row.postal_code, row.address_type)
    points = {code: _zip_point(code) for code, _ in found.values()}  # one lookup a ZIP
    return {loc: points[code] for loc, (code, _) in found.items()}


def _zip_point(code: str | None) -> tuple[float, float] | None:
    try:
        place = lookup_zip(code or "")
    except UnknownZip:
        return None
    return place.latitude, place.longitude


def nearest_page(conditions: list, place: Place, miles: float, start: int,
                 stop: int) -> tuple[int, list[str]]:
    """(total, the ids of rows start..stop) within `miles` of the postcode, nearest first,
    ties in program-name order.

    Counting reads only the coordinates of the rows in the box (two numbers a row, no ids:
    at 100,000 programs the ids were most of the work), then the page's rows are read in the
    smaller box that holds the `stop` nearest, and only the page's ties are ordered by the
    database (its collation, as the other lists)."""
    origin = (place.latitude, place.longitude)
    coords = np.array(list(map(tuple, db.session.execute(  # tuples: numpy probes a Row slowly
        _in_box((L.latitude, L.longitude), conditions, place, miles)))), float).reshape(-1, 2)
    hidden = _hidden_near(conditions, place, miles)
    with np.errstate(invalid="ignore"):
        near = _measured(origin, coords[:, 0], coords[:, 1], miles)
    hidden_dist = _distances(place, hidden, miles)
    near = np.concatenate([near[near <= miles], hidden_dist[hidden_dist <= miles]])
    total = int(near.size)
    if start >= total:
        return total, []
    reach = float(np.partition(near, min(stop, total) - 1)[min(stop, total) - 1])
    # The box of `reach` holds every row at most that far (padded: a box is a hair narrower
    # than its circle away from the equator; never past the counted box); rows beyond are
    # dropped by distance below.
    rows = db.session.execute(_in_box(ID_COLUMNS, conditions, place,
                                      min(reach * 1.01 + 0.5, miles))).all()
    # measured as counted above (the same edge decisions)
    dist = np.concatenate([_distances(place, rows, miles), hidden_dist])
    rows += hidden
    inside = np.flatnonzero(dist <= reach)
    order = inside[np.argsort(dist[inside], kind="stable")]
    ranked = dist[order]
    page = order[start:stop]
    # Rows tied with the page's first or last distance may belong before or after it.
    low = np.searchsorted(ranked, ranked[start], side="left")
    high = np.searchsorted(ranked, dist[page[-1]], side="right")
    ids = [rows[i].id for i in order[low:high].tolist()]
    distances = ranked[low:high].tolist()
    if len(set(distances)) < len(distances):  # some tie: the database orders them by name
        position = {i: k for k, i in enumerate(_in_name_order(ids))}
        ids = [i for _, i in sorted(zip(distances, ids, strict=True),
                                    key=lambda pair: (pair[0], position[pair[1]]))]
    return total, ids[start - low:stop - low]


ID_COLUMNS = (SAL.id, SAL.service_id, SAL.location_id, L.latitude, L.longitude, L.confidential)


def _hidden_near(conditions: list, place: Place, miles: float) -> list:
    """The rows of confidential locations that may lie within `miles`: those with an
    address in a ZIP whose centre is in the (padded) box. Each is then measured from its
    chosen address's ZIP centre as before; a location placed within `miles` always has such
    an address, so the answer is the same. (All confidential rows were read and their ZIPs
    looked up one by one: 250 ms of CPU at 100,000 programs even for a 250 m radius.)"""
    low_lat, low_lon, high_lat, high_lon = bounding_box(place.latitude, place.longitude,
                                                        miles * 1.01 + 0.5)
    table = gazetteer.load()
    inside = ((table.lat >= low_lat) & (table.lat <= high_lat) & (table.lon >= low_lon)
              & (table.lon <= high_lon))
    zips = [f"{z:05d}" for z in table.zips[inside].tolist()]
    query = _rows(ID_COLUMNS, conditions).where(L.confidential.is_(True))
    if len(zips) <= MAX_IN_LIST:
        query = query.where(exists(select(Address.id).where(
            Address.location_id == L.id,
            func.substr(func.trim(Address.postal_code), 1, 5).in_(zips))))
    return db.session.execute(query).all()


def _rows(columns, conditions: list):
    """Service-at-location rows (these columns) of the programs meeting the conditions."""
    query = select(*columns).select_from(SAL).join(L, L.id == SAL.location_id)
    if conditions:
        query = query.join(S, S.id == SAL.service_id).where(*conditions)
    return query


def _in_box(columns, conditions: list, place: Place, miles: float):
    """The rows of open (not confidential) locations inside the box around the circle."""
    low_lat, low_lon, high_lat, high_lon = bounding_box(place.latitude, place.longitude, miles)
    return _rows(columns, conditions).where(
        L.confidential.is_(False), L.latitude.between(low_lat, high_lat),
        L.longitude.between(low_lon, high_lon))


def _in_name_order(ids: list[str]) -> list[str]:
    return list(db.session.scalars(
        select(SAL.id).join(S, S.id == SAL.service_id).join(L, L.id == SAL.location_id)
        .where(SAL.id.in_(ids)).order_by(S.name, S.id, L.name, SAL.id)))


def served(place: Place):
    """SQL: the programs that serve the postcode (no areas, an area that says nothing, or an
    area that takes it in); None when too many areas take it in for one IN list."""
    passing = _passing_services(place)
    if len(passing) > MAX_IN_LIST:
        return None
    return or_(~exists().where(A.service_id == S.id),
               exists().where(A.service_id == S.id, _unmapped()), S.id.in_(sorted(passing)))


def excluded_services(place: Place) -> set[str]:
    """Programs with service areas that all exclude the postcode."""
    with_areas = set(db.session.scalars(select(A.service_id).distinct()))
    unmapped = set(db.session.scalars(select(A.service_id).where(_unmapped()).distinct()))
    return with_areas - unmapped - _passing_services(place)


def _unmapped():
    return or_(A.kind.is_(None), A.kind.not_in(MAPPED_KINDS))


def _passing_services(place: Place) -> set[str]:
    """Programs with a mapped area that does not exclude the postcode."""
    facts = parse_facts({"zip": place.zip}, datetime.now(UTC).date())
    columns = (A.service_id, A.kind, A.extent, A.name, A.radius_mi, A.center_latitude,
               A.center_longitude)
    passing: set[str] = set()
    for area in db.session.execute(select(*columns).where(_could_include(place, facts))):
        if area.service_id not in passing and (
                areas.area_result(area, facts) != areas.FAIL):
            passing.add(area.service_id)
    return passing


def _could_include(place: Place, facts) -> object:
    """SQL: the mapped areas that might include the postcode (a superset, checked after)."""
    band = func.abs(A.center_latitude - place.latitude) * MILES_PER_DEGREE_LAT
    radius = and_(A.kind == "radius", or_(
        A.center_latitude.is_(None), A.center_longitude.is_(None), A.radius_mi.is_(None),
        A.radius_mi <= 0, band <= A.radius_mi + 1))
    if facts.county:
        word = max(re.findall(r"[a-z0-9]+", areas.county_key(facts.county)) or [""],
                   key=len)
        county = and_(A.kind == "county", func.lower(A.extent).like(f"%{word}%"))
    else:
        county = A.kind == "county"  # unknown county: every county area is "unknown"
    return or_(and_(A.kind == "postal_codes", A.extent.like(f"%{place.zip}%")), county,
               radius, A.kind == "polygon")
