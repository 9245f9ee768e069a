"""Matching a client's needs to programs: search each need's categories near the client,
judge each program's eligibility against the client's facts, rank, and say why."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app

from resdir.directory import indexing
from resdir.directory.facts_query import load_facts
from resdir.matching import eligibility, ranking, topics
from resdir.matching.facts import ClientFacts
from resdir.matching.needs import load_needs
from resdir.matching.operations import crosswalk
from resdir.matching.poverty import percent_of_poverty
from resdir.search import SearchRequest


def match(user, facts: ClientFacts, needs: list[tuple[str, str]], words: str = "",
          now: datetime | None = None) -> dict:
    """Programs for each need, eligible and likely first, ineligible apart, each with why."""
    now = now or datetime.now(UTC)
    today = now.date()
    cfg = current_app.config
    walk = crosswalk()
    known = load_needs()
    poverty = None
    if facts.annual_income is not None and facts.household_size:
        poverty = percent_of_poverty(facts.annual_income, facts.household_size, facts.state,
                                     today).as_dict()
    out, searched = [], []
    for code, source in needs:
        categories = walk.get(code, [])
        entry = {"code": code, "display": known[code].display, "source": source,
                 "categories": categories, "results": [], "ineligible": []}
        if categories:
            # The coordinator's words decide when given; else what the need is about.
            phrases = () if words.strip() else known[code].words
            hits, first = (_need_hits(facts, categories, phrases, cfg) if phrases
                           else (_candidates(facts, categories, words, cfg), {}))
            searched.append((entry, hits, (phrases, first)))
        out.append(entry)
    # One read of the programs of every need (needs share categories, so programs too), and
    # one verdict per program: eligibility and hours do not depend on the need.
    programs = load_facts({h.id for _, hits, _p in searched for h in hits}, words=False)
    judged: dict[str, tuple] = {}
    for entry, hits, topic in searched:
        entry["results"], entry["ineligible"] = _match_need(facts, hits, programs, judged,
                                                            words, now, cfg, topic)
    return {"needs": out, "poverty_guideline": poverty}


def _search(facts: ClientFacts, categories: list[str], words: str, cfg):
    """One need's search: its categories near the client, nearest (or most relevant to the
    words) first, at most RESDIR_MATCH_CANDIDATES."""
    request = SearchRequest(
        text=words, categories=categories, point=facts.point,
        radius_mi=cfg["RESDIR_MATCH_RADIUS_MI"] if facts.point else None,
        sort="relevance" if words.strip() else ("distance" if facts.point else "relevance"),
        per_page=cfg["RESDIR_MATCH_CANDIDATES"], facets=False,
    )
    return indexing.search_index().search(request)


def _candidates(facts: ClientFacts, categories: list[str], words: str, cfg) -> list:
    return _search(facts, categories, words, cfg).hits


def _need_hits(facts: ClientFacts, categories: list[str], phrases: tuple[str, ...],
               cfg) -> tuple[list, dict[str, float]]:
    """One need's candidates, at most RESDIR_MATCH_CANDIDATES (as many are judged and ranked
    as without them): the programs most about the need's most telling phrase (one search,
    by relevance: "domestic violence" finds a DV shelter whose every source term says it
    before a court that mentions its DV division), then the nearest others. Which of them
    say what the need is about is read from each program (resdir/matching/topics.py).
    Returns (hits, id -> relevance to the first phrase, 0-1)."""
    limit = cfg["RESDIR_MATCH_CANDIDATES"]
    result = _search(facts, categories, phrases[0], cfg)
    # Only where a program has all the phrase's words ("partner" is not "intimate partner").
    hits = list(result.hits) if result.matched == "all" else []
    top = max((h.score for h in hits), default=0.0) or 1.0
    first = {h.id: h.score / top for h in hits}
    if len(hits) < limit:
        hits += [h for h in _candidates(facts, categories, "", cfg)
                 if h.id not in first][:limit - len(hits)]
    return hits, first


def _match_need(facts, hits, programs, judged, words, now, cfg, topic=((), {})):
    """Rank one need's hits: (results, ineligible). `programs` holds the hits' ProgramFacts;
    `judged` keeps each program's verdict across needs; `topic` is (the need's phrases, the
    first phrase's relevance by id) when the coordinator gave no words: the programs that
    say what the need is about come first."""
    phrases, first = topic
    about_need: set[str] = set()
    today = now.date()
    top = max((h.score for h in hits), default=0.0) or 1.0
    tz_default = cfg["RESDIR_DEFAULT_TIMEZONE"]
    stale_after = cfg["RESDIR_STALE_AFTER_DAYS"]
    relevant = bool(words.strip())
    by_id = {h.id: h for h in hits}
    results, ineligible = [], []
    # In id order, as the programs came from the database before (ties keep that order).
    for service_id in sorted(by_id):
        program = programs.get(service_id)
        if program is None:
            continue  # gone from the database since the index was written
        hit = by_id[service_id]
        seen = judged.get(service_id)
        if seen is None:
            verdict = eligibility.evaluate(program, facts, percent_of_poverty, today)
            seen = judged[service_id] = (
                verdict, verdict.as_dict() | {"summary": verdict.summary},
                ranking.open_now(program, now, program.timezone or tz_default),
            )
        verdict, verdict_json, is_open = seen
        about = topics.fit(program, phrases, first.get(service_id)) if phrases else None
        if about:
            about_need.add(service_id)
        ranked = ranking.rank(program, verdict, hit.distance_mi,
                              hit.score / top if relevant else None, is_open, today,
                              stale_after, topic=about)
        row = {
            "service_id": program.id,
            "name": program.name,
            "organization": program.organization_name,
            "distance_mi": hit.distance_mi,
            "eligibility": dict(verdict_json),
            "capacity": program.capacity_status,
            "score": ranked.score,
            "why": ranked.why,
        }
        (ineligible if verdict.status == "ineligible" else results).append(row)
    # Programs that say what the need is about come first: for intimate partner violence a
    # domestic violence program 8 miles away before a court reporter's office next door.
    results.sort(key=lambda r: (r["service_id"] not in about_need, -r["score"],
                                r["distance_mi"] or 0, r["name"]))
    ineligible.sort(key=lambda r: (r["distance_mi"] or 0, r["name"]))
    return results, ineligible
