"""Apply a listing's changed fields, one field at a time.

A save never re-applies the whole listing: each field the user changed is checked with the
directory CSV's rule for that cell (csvcells.check_cells) and written to the rows that field
shows, nothing else. Rows a field does not show are kept as they are: an hours change keeps
the holiday closures and any schedule that is not a plain weekly span; a language change
keeps the rows (and their names and notes) of the codes still listed; a phone change keeps
the other phones.
"""

from __future__ import annotations

from datetime import UTC, datetime

from resdir.directory import hours
from resdir.directory import models as m
from resdir.directory.csvcells import CsvImportError, check_cells
from resdir.directory.operations import category_slugs
from resdir.errors import BadParameter

# Form field -> attribute of the service / of its eligibility row, for plain values.
SERVICE_ATTRS = {
    "program_description": "description", "status": "status",
    "application_process": "application_process", "fees": "fees_description",
    "eligibility_description": "eligibility_description", "min_age": "minimum_age",
    "max_age": "maximum_age", "capacity_status": "capacity_status",
    "capacity_available": "capacity_available", "capacity_maximum": "capacity_maximum",
    "program_email": "email", "program_url": "url",
}
ELIGIBILITY_ATTRS = {
    "income_limit_fpl": "income_limit_fpl", "household_size_min": "household_size_min",
    "household_size_max": "household_size_max", "veteran": "veteran_required",
    "gender": "gender", "pregnant": "pregnancy_required", "disability": "disability_required",
}
# Cross-field rules: (smaller field, larger field, message), on the values after the save.
ORDERED = (
    ("min_age", "max_age", "max_age is below min_age."),
    ("household_size_min", "household_size_max", "household_size_max is below "
     "household_size_min."),
    ("capacity_available", "capacity_maximum", "capacity_available cannot exceed "
     "capacity_maximum."),
)


def check(service: m.Service, cells: dict[str, str]) -> dict:
    """The changed cells' values, by the CSV's rule for each cell and the rules that span
    fields; BadParameter naming the first bad field. Nothing is written here."""
    try:
        values = check_cells(cells, category_slugs())
    except CsvImportError as exc:
        problem = exc.problems[0]
        raise BadParameter(f"{problem.column}: {problem.reason}", problem.column) from None
    e = service.eligibility
    current = {
        "min_age": service.minimum_age, "max_age": service.maximum_age,
        "household_size_min": e.household_size_min if e else None,
        "household_size_max": e.household_size_max if e else None,
        "capacity_available": service.capacity_available,
        "capacity_maximum": service.capacity_maximum,
    }
    for low, high, message in ORDERED:
        if low not in values and high not in values:
            continue
        a, b = values.get(low, current[low]), values.get(high, current[high])
        if a is not None and b is not None and a > b:
            raise BadParameter(message, high if high in values else low)
    loc = service.locations[0] if service.locations else None
    for field in values.keys() & {"location_name", "confidential"}:
        if loc is None or loc.organization_id != service.organization_id:
            raise BadParameter(f"{field}: this program's place is kept by another "
                               "organization; ask an administrator to change it.", field)
    if values.get("location_name") and len(values["location_name"]) > 300:
        raise BadParameter("location_name: at most 300 characters.", "location_name")
    if values.get("service_area_radius_mi") and (loc is None or loc.latitude is None):
        raise BadParameter("service_area_radius_mi: the program's place has no map position "
                           "to measure from.", "service_area_radius_mi")
    return values


def apply(service: m.Service, values: dict) -> None:
    """Write the checked values of the changed fields to the listing's rows."""
    loc = service.locations[0] if service.locations else None
    for field, value in values.items():
        if field in SERVICE_ATTRS:
            setattr(service, SERVICE_ATTRS[field], value if value not in ("", []) else None)
        elif field in ELIGIBILITY_ATTRS:
            setattr(_eligibility(service), ELIGIBILITY_ATTRS[field], value)
        elif field in ("insurance", "eligible_languages"):
            attr = "insurance" if field == "insurance" else "languages"
            setattr(_eligibility(service), attr, ";".join(value) or None)
        elif field == "location_name":
            loc.name = value or None
        elif field == "confidential":
            loc.confidential = value
        else:
            APPLY[field](service, loc, value)
    if values.keys() & {"capacity_status", "capacity_available", "capacity_maximum"}:
        service.capacity_updated = datetime.now(UTC)
    if values.keys() & {"service_area_zips", "service_area_counties", "service_area_radius_mi"}:
        _eligibility(service).residency_required = any(
            a.kind != "text" for a in service.service_areas)


def _eligibility(service: m.Service) -> m.Eligibility:
    if service.eligibility is None:
        service.eligibility = m.Eligibility(
            veteran_required=False, pregnancy_required=False, disability_required=False,
            residency_required=False)
    return service.eligibility


def _hours(service: m.Service, loc, spans) -> None:
    """Replace the weekly spans the hours field shows; keep every other schedule."""
    shown = {id(s) for s in service.schedules if not s.closed
             and s.byday in hours.HSDS_DAYS and s.opens_at and s.closes_at}
    kept = [s for s in service.schedules if id(s) not in shown]
    new = [m.Schedule(freq="WEEKLY", byday=m.WEEKDAYS[s.day], opens_at=s.opens,
                      closes_at=s.closes, closed=False, position=i) for i, s in enumerate(spans)]
    service.schedules = new + kept


def _closures(service: m.Service, loc, days) -> None:
    """Replace the dated closures; keep the weekly hours."""
    kept = [s for s in service.schedules if not s.closed]
    new = [m.Schedule(closed=True, valid_from=d, valid_to=d, description="Closed",
                      position=100 + i) for i, d in enumerate(days)]
    service.schedules = kept + new


def _languages(service: m.Service, loc, codes) -> None:
    have = {lang.code: lang for lang in service.languages}
    service.languages = [have.get(c) or m.Language(code=c) for c in dict.fromkeys(codes)]


def _documents(service: m.Service, loc, documents) -> None:
    have = {d.document: d for d in service.required_documents}
    service.required_documents = [have.get(d) or m.RequiredDocument(document=d)
                                  for d in dict.fromkeys(documents)]


def _phone(service: m.Service, loc, number) -> None:
    """The form shows the first phone: change (or remove) that one, keep the others."""
    phones = list(service.phones)
    if phones and number:
        phones[0].number = number
    elif phones:
        service.phones = phones[1:]
    elif number:
        service.phones = [m.Phone(number=number, type="voice")]


def _areas(kind: str, make):
    def replace(service: m.Service, loc, value) -> None:
        kept = [a for a in service.service_areas if a.kind != kind]
        service.service_areas = kept + make(value, loc)
    return replace


def _zip_area(zips, loc) -> list:
    return [m.ServiceArea(kind="postal_codes", extent=";".join(zips),
                          name="ZIP codes served")] if zips else []


def _county_areas(counties, loc) -> list:
    return [m.ServiceArea(kind="county", extent=c, name=c) for c in counties]


def _radius_area(radius, loc) -> list:
    if not radius:
        return []
    return [m.ServiceArea(kind="radius", radius_mi=radius, name="Nearby residents",
                          extent=f"{radius:g} miles", center_latitude=loc.latitude,
                          center_longitude=loc.longitude)]


APPLY = {
    "hours": _hours, "holiday_closures": _closures, "languages": _languages,
    "required_documents": _documents, "phone": _phone,
    "service_area_zips": _areas("postal_codes", _zip_area),
    "service_area_counties": _areas("county", _county_areas),
    "service_area_radius_mi": _areas("radius", _radius_area),
}
