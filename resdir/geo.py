"""Places and distances: the offline ZIP gazetteer, geopy geocoders, distances.

This is the only module that imports geopy. The ZIP gazetteer is the `zipcodes` package's
data kept as compact arrays (resdir/gazetteer.py; nothing downloaded at run time). An online
geocoder (any geopy geocoder by name) is used only when configured, for street addresses.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np

from resdir import gazetteer
from resdir.gazetteer import Place

ZIP_RE = re.compile(r"^\s*(\d{5})(?:-?\d{4})?\s*$")
EARTH_RADIUS_MI = 3958.7613
__all__ = ["Place", "UnknownZip", "bounding_box", "distance_mi", "distances_mi", "geocode",
           "lookup_zip", "normalize_zip"]


class UnknownZip(ValueError):
    """The text is not a 5-digit US ZIP code that the gazetteer knows."""


def normalize_zip(text: str) -> str | None:
    """Return the 5-digit ZIP of `text` (ZIP+4 accepted), or None if it is not one."""
    match = ZIP_RE.match(text or "")
    return match.group(1) if match else None


def lookup_zip(text: str) -> Place:
    """Return the place of a ZIP code, or raise UnknownZip saying why."""
    code = normalize_zip(text)
    if code is None:
        raise UnknownZip(f"{text!r} is not a 5-digit ZIP code")
    place = _place(code)
    if place is None:
        raise UnknownZip(f"ZIP code {code} is not in the gazetteer (or has no known place, "
                         "as military APO/FPO ZIPs)")
    return place


@lru_cache(maxsize=4096)  # a region's ZIPs; Place is frozen
def _place(code: str) -> Place | None:
    # Kept: every search near a ZIP looks it up (a binary search and a new Place each
    # time, ~5% of a search's CPU; issue 12).
    return gazetteer.load().get(code)


def distance_mi(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in miles between two (lat, lon) points: geopy's great_circle,
    the same operations in the same order (so the same bits), without building its Point
    and Distance objects, which took most of the time of each of a search's ~15 distances
    (issue 12). Anything outside plain degrees goes to geopy itself (it wraps longitudes
    and refuses latitudes past the poles)."""
    lat_a, lon_a, lat_b, lon_b = float(a[0]), float(a[1]), float(b[0]), float(b[1])
    if len(a) != 2 or len(b) != 2 or not (abs(lat_a) <= 90 and abs(lat_b) <= 90
                                          and abs(lon_a) <= 180 and abs(lon_b) <= 180):
        # Imported here: `import geopy` loads every geocoder and requests (about 7 MB in
        # each process, issue 12), and plain degrees never get here.
        from geopy.distance import great_circle  # noqa: PLC0415

        return great_circle(a, b).miles
    d = _central_angle(math.radians(lat_a), math.radians(lon_a), math.radians(lat_b),
                       math.radians(lon_b), math)
    return GREAT_CIRCLE_KM * d / 1.609344


GREAT_CIRCLE_KM = 6371.009  # geopy's great_circle radius (geopy.distance.EARTH_RADIUS)
GREAT_CIRCLE_MI = GREAT_CIRCLE_KM / 1.609344  # the same, in miles


def distances_mi(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """geopy's great_circle (distance_mi) from one point to many at once, in miles. numpy's
    sin/cos may differ from the C library's in the last bit: callers that compare with a
    radius ask distance_mi itself for values within a hair of it."""
    d = _central_angle(math.radians(lat), math.radians(lon), np.radians(lats),
                       np.radians(lons), np)
    return GREAT_CIRCLE_MI * d


def _central_angle(lat1: float, lng1: float, lat2, lng2, lib):
    """geopy great_circle's central angle (radians) from one point to a second one (`lib` is
    `math`) or to many (`lib` is `numpy`, lat2 and lng2 arrays), in geopy's order of
    operations. The first point is always one, so its sine and cosine come from `math`."""
    sin_lat1, cos_lat1 = math.sin(lat1), math.cos(lat1)
    sin_lat2, cos_lat2 = lib.sin(lat2), lib.cos(lat2)
    delta = lng2 - lng1
    cos_delta, sin_delta = lib.cos(delta), lib.sin(delta)
    atan2 = np.arctan2 if lib is np else math.atan2
    return atan2(lib.sqrt((cos_lat2 * sin_delta) ** 2
                          + (cos_lat1 * sin_lat2 - sin_lat1 * cos_lat2 * cos_delta) ** 2),
                 sin_lat1 * sin_lat2 + cos_lat1 * cos_lat2 * cos_delta)


def bounding_box(lat: float, lon: float, radius_mi: float) -> tuple[float, float, float, float]:
    """Return (min_lat, min_lon, max_lat, max_lon) enclosing the circle."""
    dlat = math.degrees(radius_mi / EARTH_RADIUS_MI)
    coslat = max(math.cos(math.radians(lat)), 0.01)
    dlon = min(180.0, dlat / coslat)
    return lat - dlat, lon - dlon, lat + dlat, lon + dlon


def geocode(address: str, geocoder: str = "gazetteer", user_agent: str = "resdir"):
    """Return (lat, lon) for an address, or None when it cannot be placed.

    With the default `gazetteer`, only the ZIP code in the address is used. Any other
    value names a geopy geocoder (for example `nominatim`) that is asked over the network;
    it is rate-limited to one request a second as public geocoders require.
    """
    if geocoder == "gazetteer":
        match = re.search(r"\b(\d{5})(?:-\d{4})?\b\s*$", address.strip())
        if not match:
            return None
        place = gazetteer.load().get(match.group(1))
        return (place.latitude, place.longitude) if place else None
    located = _online_geocoder(geocoder, user_agent)(address)
    return (located.latitude, located.longitude) if located else None


@lru_cache(maxsize=4)
def _online_geocoder(name: str, user_agent: str):
    # Only a node configured for online geocoding loads geopy's geocoders (start-up time).
    from geopy.extra.rate_limiter import RateLimiter  # noqa: PLC0415
    from geopy.geocoders import get_geocoder_for_service  # noqa: PLC0415

    service = get_geocoder_for_service(name)(user_agent=user_agent)
    return RateLimiter(service.geocode, min_delay_seconds=1.0)
