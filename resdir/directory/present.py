"""How programs read: plain-words eligibility, hours with today first, JSON form."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from flask import current_app
from flask_babel import gettext as _

from resdir.directory import hours
from resdir.directory import models as m
from resdir.directory.documents import spans_of
from resdir.i18n import current_language

CAPACITY_LABELS = {
    "capacity": "Accepting clients", "waitlist": "Waitlist", "no-capacity": "No openings",
    "additional-assessment-required": "Assessment required",
}
INSURANCE_NAMES = {
    "medicaid": "Medicaid", "medicare": "Medicare", "private": "private insurance",
    "uninsured": "no insurance",
}


@lru_cache(maxsize=4)
def _language_names(language: str) -> dict[str, str]:
    return dict(Locale(language).languages)


def capacity_label(status: str | None) -> str:
    return CAPACITY_LABELS.get(status or "", "Capacity unknown")


def language_name(code: str) -> str:
    return _language_names(current_language()).get(code, code.upper())


def _or_list(items: list[str]) -> str:
    items = [str(i) for i in items]
    if len(items) == 1:
        return items[0]
    return _("%(some)s or %(last)s", some=", ".join(items[:-1]), last=items[-1])


def eligibility_lines(service: m.Service) -> list[str]:
    """The structured eligibility rules, one plain sentence each (in the page's language)."""
    lines = []
    low, high = service.minimum_age, service.maximum_age
    if low is not None and high is not None:
        lines.append(_("Ages %(low)s to %(high)s", low=low, high=high))
    elif low is not None:
        lines.append(_("Ages %(low)s and older", low=low))
    elif high is not None:
        lines.append(_("Ages %(high)s and younger", high=high))
    e = service.eligibility
    if e is None:
        return lines
    if e.income_limit_fpl:
        lines.append(_("Household income at or below %(percent)s%% of the federal poverty "
                       "guideline", percent=e.income_limit_fpl))
    if e.household_size_min and e.household_size_max:
        lines.append(_("Households of %(low)s to %(high)s people",
                       low=e.household_size_min, high=e.household_size_max))
    elif e.household_size_min:
        lines.append(_("Households of %(low)s or more people", low=e.household_size_min))
    elif e.household_size_max:
        lines.append(_("Households of up to %(high)s people", high=e.household_size_max))
    if e.veteran_required:
        lines.append(_("Veterans"))
    if e.insurance:
        lines.append(_("Insurance: %(kinds)s", kinds=_or_list(
            [_(INSURANCE_NAMES.get(i, i)) for i in e.insurance.split(";")])))
    if e.gender:
        lines.append({"female": _("Women"), "male": _("Men")}.get(e.gender, e.gender))
    if e.pregnancy_required:
        lines.append(_("Pregnant people"))
    if e.disability_required:
        lines.append(_("People with a disability"))
    if e.languages:
        lines.append(_("Speaks %(languages)s",
                       languages=_or_list([language_name(c) for c in e.languages.split(";")])))
    if e.residency_required and service.service_areas:
        lines.append(_("Lives in: %(areas)s",
                       areas="; ".join(area_text(a) for a in service.service_areas)))
    return lines


def area_text(area: m.ServiceArea) -> str:
    if area.kind == "postal_codes":
        return _("ZIP %(zips)s", zips=", ".join((area.extent or "").split(";")))
    if area.kind == "radius":
        return _("within %(miles)s miles of the program", miles=f"{area.radius_mi:g}")
    if area.kind == "polygon":
        return area.name or _("a mapped area")
    return area.extent or area.name or ""


def is_stale(service: m.Service, today: date | None = None) -> bool:
    return stale(service.assured_date, today)


def stale(verified: date | None, today: date | None = None, limit: int | None = None) -> bool:
    """Not verified within STALE_AFTER_DAYS (or never): the listing may be out of date.
    `limit`: that setting, when the caller has it (a page of results asks once)."""
    today = today or date.today()
    if limit is None:
        limit = current_app.config["RESDIR_STALE_AFTER_DAYS"]
    return verified is None or (today - verified).days > limit


def program_timezone(service: m.Service) -> str:
    tz = next((loc.timezone for loc in service.locations if loc.timezone), None)
    return tz or current_app.config["RESDIR_DEFAULT_TIMEZONE"]


def local_now(service: m.Service, now: datetime | None = None) -> datetime:
    tz = ZoneInfo(program_timezone(service))
    return now.astimezone(tz) if now else datetime.now(tz)


def week_hours(service: m.Service, now: datetime | None = None) -> list[dict]:
    """Each day's hours, starting today (in the program's time zone)."""
    if not any(not s.closed for s in service.schedules):
        return []
    today = local_now(service, now).weekday()
    lines = dict(hours.day_lines(spans_of(service)))
    return [
        {"day": hours.DAY_NAMES[(today + i) % 7], "hours": lines[(today + i) % 7],
         "today": i == 0}
        for i in range(7)
    ]


def upcoming_closures(service: m.Service, today: date | None = None) -> list[date]:
    today = today or date.today()
    return sorted(
        s.valid_from for s in service.schedules
        if s.closed and s.valid_from and (s.valid_to or s.valid_from) >= today
    )


def _location_json(loc: m.Location) -> dict:
    address = None if loc.confidential or loc.address is None else {
        "address_1": loc.address.address_1, "address_2": loc.address.address_2,
        "city": loc.address.city, "state_province": loc.address.state_province,
        "postal_code": loc.address.postal_code, "country": loc.address.country,
    }
    return {
        "id": loc.id,
        "name": loc.name,
        "confidential": loc.confidential,
        "latitude": None if loc.confidential else loc.latitude,
        "longitude": None if loc.confidential else loc.longitude,
        "timezone": loc.timezone,
        "address": address,
    }


# Columns shown under their own names (HSDS 3.0's), in the answer's order.
SERVICE_COLUMNS = ("id", "name", "alternate_name", "description", "url", "email", "status")
ORGANIZATION_COLUMNS = ("id", "name", "description", "website", "email")
WHO_FOR_COLUMNS = ("application_process", "fees_description", "eligibility_description",
                   "minimum_age", "maximum_age")


def _columns(row, names: tuple[str, ...]) -> dict:
    return {name: getattr(row, name) for name in names}


def service_json(service: m.Service) -> dict:
    """One program in full, HSDS 3.0 field names plus resdir's extensions."""
    return {
        **_columns(service, SERVICE_COLUMNS),
        "organization": _columns(service.organization, ORGANIZATION_COLUMNS),
        "categories": _categories_json(service),
        **_columns(service, WHO_FOR_COLUMNS),
        "eligibility": _eligibility_json(service),
        "locations": [_location_json(loc) for loc in service.locations],
        "phones": [{"number": p.number, "type": p.type} for p in service.phones],
        **_hours_json(service),
        "languages": [{"code": lang.code, "name": language_name(lang.code)}
                      for lang in service.languages],
        "required_documents": [d.document for d in service.required_documents],
        "cost_options": [
            {"option": c.option, "amount": c.amount, "currency": c.currency}
            for c in service.cost_options
        ],
        "service_areas": [
            {"kind": a.kind, "name": a.name, "extent": a.extent, "extent_type": a.extent_type,
             "radius_mi": a.radius_mi}
            for a in service.service_areas
        ],
        **_status_json(service),
    }


def _categories_json(service: m.Service) -> list[dict]:
    return [
        {"code": c.code, "name": c.name, "open_eligibility": c.open_eligibility}
        for c in sorted(service.categories, key=lambda c: c.code or "")
    ]


def _eligibility_json(service: m.Service) -> dict:
    """The structured rules (a program without any reads as an unsaved empty row) and the
    same in plain words."""
    e = service.eligibility or m.Eligibility()
    return {
        "income_limit_fpl_percent": e.income_limit_fpl,
        "household_size_min": e.household_size_min,
        "household_size_max": e.household_size_max,
        "veteran_required": bool(e.veteran_required),
        "insurance": e.insurance.split(";") if e.insurance else [],
        "gender": e.gender,
        "pregnancy_required": bool(e.pregnancy_required),
        "disability_required": bool(e.disability_required),
        "languages": e.languages.split(";") if e.languages else [],
        "residency_required": bool(e.residency_required),
        "plain": eligibility_lines(service),
    }


def _hours_json(service: m.Service) -> dict:
    """Weekly schedules (open ones), the same in words, and dated closures to come."""
    return {
        "schedules": [
            {"freq": s.freq, "byday": s.byday,
             "opens_at": s.opens_at.strftime("%H:%M") if s.opens_at else None,
             "closes_at": s.closes_at.strftime("%H:%M") if s.closes_at else None}
            for s in service.schedules if not s.closed
        ],
        "hours_text": hours.to_text(spans_of(service)) or None,
        "holiday_closures": [d.isoformat() for d in upcoming_closures(service)],
    }


def _status_json(service: m.Service) -> dict:
    """Capacity, verification and the version an edit must send back."""
    return {
        "capacity": {
            "status": service.capacity_status,
            "available": service.capacity_available,
            "maximum": service.capacity_maximum,
        },
        "assured_date": service.assured_date.isoformat() if service.assured_date else None,
        "stale": is_stale(service),
        "last_modified": service.last_modified.isoformat() if service.last_modified else None,
        "version": service.version,
    }
