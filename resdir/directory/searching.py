"""Search requests as people and programs send them: parameters, checks, results.

The search page and `GET /api/v1/search` share this code, so they accept the same
parameters and give the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from resdir import params
from resdir.directory import hours, indexing, operations
from resdir.directory import models as m
from resdir.directory.documents import location_point, shown_of
from resdir.directory.facts_query import load_facts
from resdir.directory.present import stale
from resdir.directory.results import ResultLocation, ResultProgram, programs_by_ids
from resdir.errors import BadParameter
from resdir.geo import UnknownZip, distance_mi, lookup_zip, normalize_zip
from resdir.search import SearchRequest, SearchResult, snippet

DAYS = {name.lower()[:3]: i for i, name in enumerate(hours.DAY_NAMES)}


@dataclass
class Query:
    request: SearchRequest
    zip: str | None = None
    place: str | None = None  # "Pittsburgh, PA 15213" for the page


def _open_at(args: MultiDict, now: datetime):
    """The `open_at` callable for open_now, or for open_day (mon..sun) + open_time."""
    # The hours' own day names (Mo, Tu...) and the longer ones (mon, monday) all work.
    day_text = (args.get("open_day") or "").strip().lower()[:3]
    if len(day_text) == 2:
        day_text = next((d for d in DAYS if d.startswith(day_text)), day_text)
    time_text = (args.get("open_time") or "").strip()
    if day_text or time_text:
        if day_text not in DAYS:
            raise BadParameter("open_day must be a weekday: Mo, Tu, We, Th, Fr, Sa or Su.",
                               "open_day")
        try:
            at = datetime.strptime(time_text or "12:00", "%H:%M").time()
        except ValueError:
            raise BadParameter("open_time must be a time like 14:30.", "open_time") from None
        base = date(2026, 1, 5)  # a Monday with no holidays: weekday only, no dated closures

        return lambda tz: datetime.combine(base + timedelta(days=DAYS[day_text]), at)
    if params.flag(args, "open_now"):
        return lambda tz: now.astimezone(ZoneInfo(tz))
    return None


class _Given:
    """Request parameters read as MultiDict reads them (get: the first value; getlist),
    without the exception MultiDict builds for each parameter that was not sent (a
    BadRequestKeyError: about ten a search, issue 12)."""

    __slots__ = ("_lists",)

    def __init__(self, args: MultiDict):
        self._lists = dict(args.lists())

    def get(self, name: str, default=None):
        values = self._lists.get(name)
        return values[0] if values else default

    def getlist(self, name: str) -> list[str]:
        return list(self._lists.get(name, ()))


def parse(args: MultiDict, now: datetime | None = None) -> Query:
    """Check request parameters; raise BadParameter naming the first bad one."""
    args = _Given(args)
    cfg = current_app.config
    now = now or datetime.now(UTC)
    cats = _categories(args)
    text = (args.get("q") or "")[:10000]
    point, radius, place, zip_code = _where(args, cfg)
    sort = _sort(args, text, point)
    languages = _languages(args)
    capacities = _checked(_values(args, "capacity"), "capacity",
                          (*m.CAPACITY_STATUSES, "unknown"))
    statuses = _statuses(args)
    per_page = (params.integer(args, "per_page", 1, cfg["RESDIR_MAX_PER_PAGE"])
                or cfg["RESDIR_PER_PAGE"])
    request = SearchRequest(
        text=text,
        categories=cats,
        point=point,
        radius_mi=radius,
        languages=languages,
        open_at=_open_at(args, now),
        age=params.integer(args, "age", 0, 120),
        statuses=statuses,
        capacities=capacities,
        sort=sort,
        page=params.integer(args, "page", 1, 10000) or 1,
        per_page=per_page,
        # Listings not verified within RESDIR_STALE_AFTER_DAYS rank a little lower (the
        # same rule that flags them "may be out of date"; see resdir/search/relevance.py).
        fresh_since=now.date() - timedelta(days=cfg["RESDIR_STALE_AFTER_DAYS"]),
    )
    return Query(request=request, zip=zip_code, place=place)


def _statuses(args: MultiDict) -> list[str]:
    """The listing statuses asked for: active unless said; `any` is every status ([])."""
    statuses = _values(args, "status") or ["active"]
    if statuses == ["any"]:
        return []
    return _checked(statuses, "status", m.SERVICE_STATUSES, "any or ")


def _categories(args: MultiDict) -> list[str]:
    known = operations.category_slugs()
    cats = [c.strip() for c in args.getlist("category") if c.strip()]
    for c in cats:
        if c not in known:
            raise BadParameter(f"category {c[:40]!r} is not one of: {', '.join(sorted(known))}.",
                               "category")
    return cats


def _where(args: MultiDict, cfg) -> tuple[tuple[float, float] | None, float | None,
                                          str | None, str | None]:
    """(point, radius in miles, place name, ZIP) from zip, or lat and lon, and radius_mi."""
    zip_text = (args.get("zip") or "").strip()
    lat = params.number(args, "lat", -90, 90)
    lon = params.number(args, "lon", -180, 180)
    radius = params.number(args, "radius_mi", 0.1, cfg["RESDIR_MAX_RADIUS_MI"])
    point, place, zip_code = None, None, None
    if zip_text:
        try:
            found = lookup_zip(zip_text)
        except UnknownZip:
            raise BadParameter(unknown_zip_message(zip_text), "zip") from None
        point, zip_code = (found.latitude, found.longitude), found.zip
        place = f"{found.city}, {found.state} {found.zip}"
    elif lat is not None or lon is not None:
        if lat is None or lon is None:
            missing = "lat" if lat is None else "lon"
            raise BadParameter("lat and lon must be given together.", missing)
        point = (lat, lon)
    if point is not None and radius is None:
        radius = cfg["RESDIR_DEFAULT_RADIUS_MI"]
    if point is None and radius is not None:
        raise BadParameter("radius_mi needs a zip or lat and lon.", "radius_mi")
    return point, radius, place, zip_code


def _sort(args: MultiDict, text: str, point) -> str:
    sort = (args.get("sort") or "").strip() or ("relevance" if text.strip() or point is None
                                                 else "distance")
    if sort not in ("relevance", "distance"):
        raise BadParameter("sort must be relevance or distance.", "sort")
    if sort == "distance" and point is None:
        raise BadParameter("sort=distance needs a zip or lat and lon.", "sort")
    return sort


def _languages(args: MultiDict) -> list[str]:
    languages = [x.strip().lower() for x in args.getlist("language") if x.strip()]
    for code in languages:
        if len(code) != 2 or not code.isalpha():
            raise BadParameter("language must be a two-letter ISO 639-1 code, like es.",
                               "language")
    return languages


def _values(args: MultiDict, name: str) -> list[str]:
    return [x.strip() for x in args.getlist(name) if x.strip()]


def _checked(values: list[str], name: str, allowed: tuple[str, ...], also: str = "") -> list[str]:
    """`values`, when each is one of `allowed` (`also`: other words the message offers)."""
    for value in values:
        if value not in allowed:
            raise BadParameter(f"{name} must be {also}one of: " + ", ".join(allowed) + ".",
                               name)
    return values


def answer_key(args: MultiDict) -> tuple | None:
    """What an API search's answer depends on besides the index (SearchIndex.remembered):
    the parameters (each name's values in the order given) and the day (`stale` and the
    freshness factor follow the date). None when it depends on the moment (open_now)."""
    if "open_now" in args:
        return None
    return (date.today(), datetime.now(UTC).date(),
            *((name, *args.getlist(name)) for name in sorted(args)))


def run(query: Query) -> tuple[SearchResult, list[ResultProgram]]:
    """Search the index, then read the programs from the database in rank order."""
    result = indexing.search_index().search(query.request)
    return result, programs_by_ids([h.id for h in result.hits])


def nearest_location(service: ResultProgram,
                     point: tuple[float, float] | None) -> ResultLocation | None:
    """The program's location closest to the searched point (its first one otherwise)."""
    return nearest(service.locations, point, location_point)


def nearest(places: list, point: tuple[float, float] | None, where):
    """Of `places`, the one whose point (`where(place)`, None when unknown) is closest to
    the searched point; the first placed one, or the first, otherwise (None if none)."""
    if point is None or not places:
        return places[0] if places else None
    placed = [(at, place) for place in places if (at := where(place))]
    if len(placed) < 2:  # most programs: no distance to compare (issue 12: per-hit cost)
        return placed[0][1] if placed else places[0]
    return min(placed, key=lambda pair: distance_mi(point, pair[0]))[1]


def answer(query: Query) -> dict:
    """The API's answer, from the index alone: each hit brings the program as results show
    it (documents.shown_of, written with the rest of its document), so answering reads no
    database rows (issue 12: reading them was a third of a search's time)."""
    query.request.shown = True
    return result_json(indexing.search_index().search(query.request), query)


def result_json(result: SearchResult, query: Query) -> dict:
    point = query.request.point
    today = date.today()
    stale_after = current_app.config["RESDIR_STALE_AFTER_DAYS"]
    out = []
    for hit, shown in _shown(result.hits):
        # A `shown` place is [search point, confidential, address].
        place = nearest(shown["places"], point, lambda place: place[0])
        verified = shown["verified"]
        out.append({
            "id": hit.id,
            "name": shown["name"],
            "organization": shown["organization"],
            "categories": shown["categories"],
            "distance_mi": hit.distance_mi,
            "address": place[2] if place else None,  # none kept for a confidential place
            "confidential_location": bool(place and place[1]),
            "phone": shown["phone"],
            "status": shown["status"],
            "capacity": shown["capacity"],
            "last_verified": verified,
            # Today's answer, not the day the document was written.
            "stale": stale(date.fromisoformat(verified) if verified else None, today,
                           stale_after),
            "snippet": snippet(shown["description"], result.terms, marked=False),
        })
    return {
        "total": result.total,
        "page": query.request.page,
        "per_page": query.request.per_page,
        "results": out,
        "facets": {"category": result.facets},
        "suggestion": result.suggestion,
        "corrected": result.corrected,
        "matched": result.matched,
    }


def _shown(hits: list) -> list[tuple[object, dict]]:
    """Each hit with its `shown` document. A hit written without one (a document made by
    hand, not by documents.document_for) is read from the database; one no longer there
    is left out."""
    missing = [hit.id for hit in hits if not hit.shown]
    found = {i: shown_of(f) for i, f in load_facts(missing).items()} if missing else {}
    # orjson: the same objects as json.loads, in a fifth of the time (a page's 20 documents
    # took ~0.3 ms; issue 12).
    return [(hit, orjson.loads(text)) for hit in hits
            if (text := hit.shown or found.get(hit.id))]


def unknown_zip_message(text: str) -> str:
    """What a person can do about a ZIP the search cannot place, in their words."""
    code = normalize_zip(text)  # said in the page's language (the API's is English)
    if code:
        return _("We don't know ZIP %(code)s. Check it, or search without a ZIP.", code=code)
    shown = text[:20] + ("..." if len(text) > 20 else "")
    return _('"%(shown)s" is not a ZIP code. Enter its 5 digits, for example 15213.',
             shown=shown)
