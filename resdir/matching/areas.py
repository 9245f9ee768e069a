"""Service areas against a client's place: ZIP lists, counties, radii and GeoJSON polygons.

Each check answers PASS, FAIL or UNKNOWN with the reason in words; the residency rule of
resdir.matching.eligibility passes when any area passes. Parsed extents are cached: many
programs share them, and matching asks about the same areas request after request.
"""

from __future__ import annotations

import json
from functools import lru_cache

import shapely
from shapely.errors import GEOSException
from shapely.geometry import Point, shape

from resdir.directory.facts import AreaFacts
from resdir.geo import distance_mi, normalize_zip
from resdir.matching.facts import ClientFacts

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"


@lru_cache(maxsize=8192)
def _zip_set(extent: str) -> frozenset[str]:
    return frozenset(z for z in (normalize_zip(t) for t in extent.split(";")) if z)


def county_key(name: str) -> str:
    return " ".join(name.lower().replace(".", "").split()).removesuffix(" county")


@lru_cache(maxsize=8192)
def _county(extent: str) -> tuple[str, str | None]:
    name, comma, state = extent.rpartition(",")
    if not comma:
        return county_key(extent), None
    return county_key(name), state.strip().upper() or None


@lru_cache(maxsize=8192)
def _polygon(extent: str) -> shapely.Geometry | None:
    """The prepared geometry of a GeoJSON extent (geometry, Feature or FeatureCollection)."""
    try:
        data = json.loads(extent)
        if data.get("type") == "Feature":
            geometry = shape(data["geometry"])
        elif data.get("type") == "FeatureCollection":
            geometry = shapely.union_all([shape(f["geometry"]) for f in data["features"]])
        else:
            geometry = shape(data)
    except (ValueError, TypeError, KeyError, AttributeError, GEOSException):
        return None
    shapely.prepare(geometry)
    return geometry


@lru_cache(maxsize=256)
def _point(lat: float, lon: float) -> Point:
    return Point(lon, lat)


def area_check(area: AreaFacts, facts: ClientFacts, who: str) -> tuple[str, str]:
    """(PASS, FAIL or UNKNOWN, why) for one service area; `who` names the client's place."""
    label = area.name or "the area served"
    check = _AREA_CHECKS.get(area.kind)
    if check is None:
        return UNKNOWN, f"Serves {area.extent or label}: check with the program"
    return check(area, facts, who, label)


def _in_postal_codes(area, facts: ClientFacts, _who: str, label: str) -> tuple[str, str]:
    zips = _zip_set(area.extent or "")
    if facts.zip is None:
        return UNKNOWN, "ZIP not given"
    if facts.zip in zips:
        return PASS, f"ZIP {facts.zip} is in {label}"
    shown = sorted(zips)[:6]
    more = f" and {len(zips) - 6} more" if len(zips) > 6 else ""
    return FAIL, f"ZIP {facts.zip} is not among {', '.join(shown)}{more}"


def _in_county(area, facts: ClientFacts, _who: str, _label: str) -> tuple[str, str]:
    name, state = _county(area.extent or "")
    if facts.county is None:
        return UNKNOWN, (f"County of ZIP {facts.zip} not known" if facts.zip
                         else "County not known (ZIP not given)")
    lives = f"{facts.county}, {facts.state}"
    if county_key(facts.county) == name and state in (None, facts.state):
        return PASS, f"Lives in {lives}"
    return FAIL, f"Lives in {lives}, not {area.extent}"


def _in_radius(area, facts: ClientFacts, who: str, label: str) -> tuple[str, str]:
    if area.center_latitude is None or area.center_longitude is None or not area.radius_mi:
        return UNKNOWN, f"The radius of {label} is not mapped; check with the program"
    if facts.point is None:
        return UNKNOWN, "ZIP or address not given"
    miles = distance_mi(facts.point, (area.center_latitude, area.center_longitude))
    inside = miles <= area.radius_mi
    return (PASS if inside else FAIL), (
        f"{who} is {miles:.1f} miles from the program, "
        f"{'within' if inside else 'beyond'} {area.radius_mi:g} miles")


def _in_polygon(area, facts: ClientFacts, who: str, label: str) -> tuple[str, str]:
    geometry = _polygon(area.extent or "")
    if geometry is None:
        return UNKNOWN, f"The map of {label} could not be read; check with the program"
    if facts.point is None:
        return UNKNOWN, "ZIP or address not given"
    # `covers`, not `contains`: a point on the boundary is inside the area.
    inside = geometry.covers(_point(*facts.point))
    return (PASS if inside else FAIL), f"{who} is {'inside' if inside else 'outside'} {label}"


_AREA_CHECKS = {"postal_codes": _in_postal_codes, "county": _in_county, "radius": _in_radius,
                "polygon": _in_polygon}


def area_result(area: AreaFacts, facts: ClientFacts) -> str:
    """PASS, FAIL or UNKNOWN: whether one service area takes in the client's place (the
    residency rule fails only when every area fails). `area` may be any object with the
    ServiceArea columns, such as a row of them."""
    return area_check(area, facts, "")[0]
