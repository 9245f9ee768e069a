"""Pages for people: the search page and the program page."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup, escape

from resdir.directory import cards, operations, present, searching
from resdir.errors import BadParameter
from resdir.search import snippet

bp = Blueprint("directory", __name__)
bp.add_app_template_filter(present.language_name, "language_name")
bp.add_app_template_filter(present.capacity_label, "capacity_label")

SEARCH_PARAMS = ("q", "zip", "radius_mi", "category", "language", "open_now", "age", "sort",
                 "capacity", "open_day", "open_time", "client")
COMMON_LANGUAGES = ("en", "es", "ar", "fr", "ne", "ru", "so", "sw", "uk", "vi", "zh")


def _marked(text: str) -> Markup:
    """Escape a snippet, then turn the search package's match markers into <mark>."""
    safe = str(escape(text))
    return Markup(safe.replace("\x02", "<mark>").replace("\x03", "</mark>"))


def _page_url(page: int) -> str:
    pairs = [(k, v) for k in SEARCH_PARAMS for v in request.args.getlist(k) if v]
    return "?" + urlencode([*pairs, ("page", page)])


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says; send them to the icon."""
    return redirect(url_for("directory.favicon_svg"), 301)


@bp.get("/favicon.svg")
def favicon_svg():
    """The icon, sent from memory: browsers drop this request half-way often, and a file
    handle left to the garbage collector then warns."""
    return Response(_icon(), mimetype="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})


@lru_cache(maxsize=1)
def _icon() -> bytes:
    return (Path(__file__).resolve().parent.parent / "static" / "favicon.svg").read_bytes()


@bp.get("/")
def search():
    """Show the search form and, when asked, the matching programs."""
    categories = operations.categories()
    asked = any(request.args.get(k) for k in SEARCH_PARAMS if k != "client")
    # A coordinator searching for a client (?client=<id>, from the client's page): each
    # card says whether the client meets the program's rules. Matching provides both (see
    # resdir/matching/client_hints.py); it reads the directory, so it is not imported here.
    client_hints = current_app.extensions["client_hints"]
    client, facts = client_hints.client_context(g.get("user"), request.args.get("client"))
    context = {
        "categories": categories, "args": request.args, "languages": COMMON_LANGUAGES,
        "language_name": present.language_name, "asked": asked, "error": None,
        "result": None, "rows": [], "query": None, "client": client,
        "tile_url": current_app.config["RESDIR_MAP_TILE_URL"],
        "tile_attribution": current_app.config["RESDIR_MAP_ATTRIBUTION"],
    }
    if asked:
        args = request.args.copy()
        if not args.get("zip"):
            args.pop("radius_mi", None)  # the form always sends a radius; alone it means nothing
        try:
            query = searching.parse(args)
        except BadParameter as exc:
            context["error"] = exc
            return render_template("directory/search.html", **context), 400
        result, services = searching.run(query)
        hits = {h.id: h for h in result.hits}
        ids = [s.id for s in services]
        facts_by_id, hints = cards.cards_for(ids), client_hints.eligibility_hints(ids, facts)
        rows = []
        for s in services:
            location = searching.nearest_location(s, query.request.point)
            rows.append({
                "service": s, "hit": hits[s.id], "location": location,
                "snippet": _marked(present_snippet(s, result)),
                "stale": present.is_stale(s), "card": facts_by_id.get(s.id),
                "point": cards.map_point(location), "hint": hints.get(s.id),
            })
        context.update(
            query=query,
            result=result,
            rows=rows,
            pages=_pages(result.total, query.request.page, query.request.per_page),
            page_url=_page_url,
        )
    return render_template("directory/search.html", **context)


def present_snippet(service, result) -> str:
    return snippet(service.description or "", result.terms)


def _pages(total: int, page: int, per_page: int) -> dict:
    last = max(1, -(-total // per_page))
    return {"page": page, "last": last, "prev": page - 1 if page > 1 else None,
            "next": page + 1 if page < last else None}


@bp.get("/programs/<service_id>")
def program(service_id: str):
    """Show one program: what it offers, who may get it, when and where."""
    service = operations.get_service(service_id)
    return render_template(
        "directory/program.html",
        service=service,
        eligibility=present.eligibility_lines(service),
        week=present.week_hours(service),
        closures=present.upcoming_closures(service),
        language_name=present.language_name,
        stale=present.is_stale(service),
    )
