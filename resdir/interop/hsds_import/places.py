"""Putting locations on the map: the time zone from the ZIP code, and missing coordinates
from a configured geopy geocoder (street address; rate-limited in resdir.geo) or else from
the offline ZIP gazetteer (the ZIP's centre)."""

from __future__ import annotations

import logging

from resdir import geo
from resdir.interop.hsds_import.plan import LocPlan, Plan
from resdir.interop.hsds_import.report import ImportReport

log = logging.getLogger(__name__)


def fill(plan: Plan, report: ImportReport, geocoder: str = "gazetteer",
         user_agent: str = "resdir", progress=None) -> None:
    todo = list(plan.locations.values())
    for done, loc in enumerate(todo, 1):
        _place(loc, report, geocoder, user_agent)
        if progress and (done % 200 == 0 or done == len(todo)):
            progress("placing locations", done, len(todo))


def _address(loc: LocPlan, physical_only: bool = False) -> dict | None:
    physical = [a for a in loc.addresses if a["address_type"] == "physical"]
    return (physical or ([] if physical_only else loc.addresses) or [None])[0]


def _zip_place(address: dict | None):
    if address and geo.normalize_zip(address["postal_code"]):
        try:
            return geo.lookup_zip(address["postal_code"])
        except geo.UnknownZip:
            return None
    return None


def _place(loc: LocPlan, report: ImportReport, geocoder: str, user_agent: str) -> None:
    values, rec = loc.values, loc.rec
    if not values.get("timezone"):  # a mailing address is near enough for the time zone
        place = _zip_place(_address(loc))
        values["timezone"] = place.timezone if place else None
    if values["latitude"] is not None or values["location_type"] == "virtual":
        return
    # Coordinates come from where people go, never from a mailing address (a PO box or
    # the head office can be far away).
    address = _address(loc, physical_only=True)
    place = _zip_place(address)
    if address is None and loc.addresses:
        report.note(rec.file, rec.row, "latitude", "no coordinates and only a mailing "
                    "address; the location is not placed (cannot be found by distance)")
        return
    if geocoder != "gazetteer" and address and address["address_1"]:
        line = ", ".join(p for p in (address["address_1"], address["city"],
                                     address["state_province"], address["postal_code"]) if p)
        try:
            point = geo.geocode(line, geocoder, user_agent)
        except Exception as exc:  # a network geocoder can fail in many ways
            log.warning("geocoding %r failed: %s", line, exc)
            point = None
        if point:
            values["latitude"], values["longitude"] = point
            report.repaired(rec.file, rec.row, "latitude",
                            f"no coordinates; geocoded from the address with {geocoder}")
            return
    if place:
        values["latitude"], values["longitude"] = place.latitude, place.longitude
        report.repaired(rec.file, rec.row, "latitude", "no coordinates; placed at the centre "
                        f"of ZIP {place.zip} (offline gazetteer)")
        return
    why = "no known ZIP code" if address else "no address"
    report.note(rec.file, rec.row, "latitude",
                f"no coordinates and {why}; the location cannot be found by distance")
