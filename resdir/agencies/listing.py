"""A listing as a flat form: the same cells (and checks) as the directory CSV, so a program
edited in the portal and one loaded from a file obey one set of rules.

The text form is for showing and comparing only. A save applies just the fields whose text
the user changed (resdir.agencies.patch), so whatever the text form cannot say exactly (a
schedule that is not weekly, a location's coordinates, an imported phone's extension) is
never written back.
"""

from __future__ import annotations

import hashlib

from resdir.directory import hours
from resdir.directory import models as m
from resdir.directory.csvcells import COLUMNS
from resdir.directory.documents import spans_of
from resdir.errors import BadParameter

# What agency staff may change, in the order the form shows it.
EDITABLE = [
    "program_description", "status", "hours", "holiday_closures", "languages",
    "application_process", "required_documents", "fees", "eligibility_description",
    "min_age", "max_age", "income_limit_fpl", "household_size_min", "household_size_max",
    "veteran", "insurance", "gender", "pregnant", "disability", "eligible_languages",
    "service_area_zips", "service_area_counties", "service_area_radius_mi",
    "capacity_status", "capacity_available", "capacity_maximum", "phone", "program_email",
    "program_url", "location_name", "confidential",
]
# Fields that are check boxes: a browser sends nothing for an unticked one.
FLAGS = {"veteran": "required", "pregnant": "required", "disability": "required",
         "confidential": "yes"}
LABELS = {
    "program_description": "Description", "status": "Status", "hours": "Weekly hours",
    "holiday_closures": "Closed on (dates)", "languages": "Languages (codes)",
    "application_process": "How to apply", "required_documents": "What to bring",
    "fees": "Fees", "eligibility_description": "Eligibility in words",
    "min_age": "Minimum age", "max_age": "Maximum age",
    "income_limit_fpl": "Income limit (% of poverty guideline)",
    "household_size_min": "Smallest household", "household_size_max": "Largest household",
    "veteran": "Veterans only", "insurance": "Insurance accepted", "gender": "Gender served",
    "pregnant": "Pregnant people only", "disability": "People with a disability only",
    "eligible_languages": "Client must speak", "service_area_zips": "ZIP codes served",
    "service_area_counties": "Counties served",
    "service_area_radius_mi": "Serves residents within (miles)",
    "capacity_status": "Capacity", "capacity_available": "Openings",
    "capacity_maximum": "Of", "phone": "Phone", "program_email": "E-mail",
    "program_url": "Website", "location_name": "Place name",
    "confidential": "Confidential address",
}
# Fields that change the location, which every program there shares.
LOCATION_FIELDS = ("location_name", "confidential")


def _num(value) -> str:
    """A number as text, exactly (repr is the shortest text that reads back the same)."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def _flag(value: bool, word: str = "required") -> str:
    return word if value else ""


def listing_form(service: m.Service) -> dict[str, str]:
    """Every CSV cell of the program, as text."""
    loc = service.locations[0] if service.locations else None
    address = loc.address if loc else None
    e = service.eligibility
    areas = service.service_areas
    closed = [s.valid_from.isoformat() for s in service.schedules if s.closed and s.valid_from]
    form = dict.fromkeys(COLUMNS, "")
    form.update({
        "organization_key": service.organization_id, "organization_name":
        service.organization.name, "program_key": service.id, "program_name": service.name,
        "program_description": service.description or "", "status": service.status,
        "categories": ";".join(sorted(c.code for c in service.categories if c.code)),
        "location_key": loc.id if loc else "", "address_1": address.address_1 if address
        else "", "city": address.city if address else "",
        "state": address.state_province if address else "",
        "postal_code": address.postal_code if address else "",
        "latitude": _num(loc.latitude) if loc else "",
        "longitude": _num(loc.longitude) if loc else "",
        "confidential": "yes" if loc and loc.confidential else "",
        "location_name": (loc.name or "") if loc else "",
        "phone": service.phones[0].number if service.phones else "",
        "program_email": service.email or "", "program_url": service.url or "",
        "hours": hours.to_text(spans_of(service)), "holiday_closures": ";".join(closed),
        "languages": ";".join(lang.code for lang in service.languages),
        "min_age": _num(service.minimum_age), "max_age": _num(service.maximum_age),
        "eligibility_description": service.eligibility_description or "",
        "application_process": service.application_process or "",
        "required_documents": ";".join(d.document for d in service.required_documents),
        "fees": service.fees_description or "",
        "capacity_status": service.capacity_status or "",
        "capacity_available": _num(service.capacity_available),
        "capacity_maximum": _num(service.capacity_maximum),
        "assured_date": service.assured_date.isoformat() if service.assured_date else "",
        "service_area_zips": ";".join(a.extent or "" for a in areas if a.kind == "postal_codes"),
        "service_area_counties": ";".join(a.extent or "" for a in areas if a.kind == "county"),
        "service_area_radius_mi": next((_num(a.radius_mi) for a in areas if a.kind == "radius"),
                                       ""),
        "service_area_geojson": next((a.extent or "" for a in areas if a.kind == "polygon"), ""),
    })
    if e is not None:
        form.update({
            "income_limit_fpl": _num(e.income_limit_fpl),
            "household_size_min": _num(e.household_size_min),
            "household_size_max": _num(e.household_size_max),
            "veteran": _flag(e.veteran_required), "insurance": e.insurance or "",
            "gender": e.gender or "", "pregnant": _flag(e.pregnancy_required),
            "disability": _flag(e.disability_required), "eligible_languages": e.languages or "",
        })
    return form


def normalize(text) -> str:
    """Form text as compared and stored: browsers send textareas with CRLF line ends, and
    leading or trailing blanks mean nothing in any field."""
    return str(text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def fingerprint(text) -> str:
    """A short digest of a field's text, kept in the form so that after a conflict the page
    can tell the fields this user changed from the ones someone else changed."""
    return hashlib.sha256(normalize(text).encode()).hexdigest()[:16]


def cell_text(field: str, value) -> str:
    """A JSON value of a PATCH as the form's text for `field` (lists joined with ";")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        if field not in FLAGS:
            raise BadParameter(f"{field} must not be true or false.", field)
        return FLAGS[field] if value else ""
    if isinstance(value, int | float):
        return _num(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ";".join(value)
    raise BadParameter(f"{field} must be text, a number, true/false or a list of text.", field)
