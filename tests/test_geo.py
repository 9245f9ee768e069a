import csv
from pathlib import Path

import pytest

from resdir import geo

ZCTA = Path(__file__).resolve().parents[2] / "shared" / "external" / \
    "zip-centroids-census-zcta-2018" / "zctas_2018.csv"


def test_zip_lookup_keeps_leading_zeros_and_accepts_zip_plus_four():
    assert geo.lookup_zip("02139").city == "Cambridge"
    assert geo.lookup_zip("15213-1234").zip == "15213"
    assert geo.lookup_zip(" 15213 ").timezone == "America/New_York"


@pytest.mark.parametrize("text", ["1521", "abcde", "", "152134"])
def test_malformed_zip_is_rejected(text):
    with pytest.raises(geo.UnknownZip, match="not a 5-digit ZIP"):
        geo.lookup_zip(text)


def test_unknown_zip_says_so():
    with pytest.raises(geo.UnknownZip, match="not in the gazetteer"):
        geo.lookup_zip("00000")


def test_distance_in_miles():
    pittsburgh, philadelphia = geo.lookup_zip("15219"), geo.lookup_zip("19107")
    d = geo.distance_mi((pittsburgh.latitude, pittsburgh.longitude),
                        (philadelphia.latitude, philadelphia.longitude))
    assert 250 < d < 265


def test_distance_is_geopys_great_circle_to_the_bit():
    """distance_mi computes geopy's formula itself (issue 12): the shown distances and the
    radius checks must not move by even the last bit, nor must the odd inputs geopy takes."""
    import random

    import numpy as np
    from geopy.distance import great_circle

    rnd = random.Random(12)
    pairs = [((rnd.uniform(-90, 90), rnd.uniform(-180, 180)),
              (rnd.uniform(-90, 90), rnd.uniform(-180, 180))) for _ in range(2000)]
    pairs += [((40.44, -79.99), (40.44, -79.99)), ((90, 0), (-90, 180)),
              ((np.float64(40.1), np.float64(-75.2)), (40, -75)), ((40, 190), (40, -170))]
    for a, b in pairs:
        assert geo.distance_mi(a, b) == great_circle(a, b).miles, (a, b)


def test_bounding_box_contains_the_circle():
    lat, lon = 40.44, -79.99
    min_lat, min_lon, max_lat, max_lon = geo.bounding_box(lat, lon, 10)
    for point in [(max_lat, lon), (min_lat, lon), (lat, max_lon), (lat, min_lon)]:
        assert geo.distance_mi((lat, lon), point) == pytest.approx(10, rel=0.01)


def test_gazetteer_agrees_with_census_centroids_in_the_seed_region():
    """Allegheny County ZIPs: the bundled gazetteer is within a few miles of the Census."""
    far = []
    with ZCTA.open() as handle:
        rows = [r for r in csv.DictReader(handle) if r["geoid"].startswith(("150", "151", "152"))]
    assert len(rows) > 100
    for row in rows:
        try:
            place = geo.lookup_zip(row["geoid"])
        except geo.UnknownZip:
            continue
        d = geo.distance_mi((place.latitude, place.longitude),
                            (float(row["latitude"]), float(row["longitude"])))
        if d > 5:
            far.append((row["geoid"], round(d, 1)))
    assert len(far) / len(rows) < 0.1, far


def test_gazetteer_file_holds_what_zipcodes_gives():
    """resdir/zips.tsv.gz is the zipcodes package's data (rewrite it after an upgrade:
    python -m resdir.gazetteer)."""
    from resdir import gazetteer

    table = gazetteer.load()
    rows = gazetteer.rows_from_zipcodes()
    assert len(table) == len(rows) > 40000
    for row in rows[::97]:
        place = table.get(row[0])
        assert (place.zip, place.latitude, place.longitude, place.city, place.county,
                place.state, place.timezone or "") == (
            row[0], float(row[1]), float(row[2]), *row[3:])


GAZETTEER_MEMORY = """
import gc
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 1e6
from resdir import geo
before, objects = rss(), len(gc.get_objects())
geo.lookup_zip("15213")
print(rss() - before, len(gc.get_objects()) - objects)
"""


def test_gazetteer_is_compact_in_every_process():
    """Issue 12: the ZIP gazetteer cost 147 MB and 214,000 objects (walked by every full
    garbage collection) in every worker; compact arrays cost a few MB and no objects."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", GAZETTEER_MEMORY], check=True,
                         capture_output=True, text=True).stdout.split()
    grown_mb, new_objects = float(out[0]), int(out[1])
    assert grown_mb < 25, grown_mb
    assert new_objects < 1000, new_objects
