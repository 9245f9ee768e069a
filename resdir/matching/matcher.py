"""Matching a client's needs to programs: search each need's categories near the client,
judge each program's eligibility against the client's facts, rank, and say why."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app

from resdir.directory import indexing
from resdir.directory.facts_query import load_facts
from resdir.matching import eligibility, ranking
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
            hits = _candidates(facts, categories, words, cfg)
            topics = {} if words.strip() else _topics(facts, categories, known[code].words, cfg)
            seen = {h.id for h in hits}
            hits += [h for h, _ in topics.values() if h.id not in seen]
            searched.append((entry, hits, {k: v for k, (_h, v) in topics.items()}))
        out.append(entry)
    # One read of the programs of every need (needs share categories, so programs too), and
    # one verdict per program: eligibility and hours do not depend on the need.
    programs = load_facts({h.id for _, hits, _t in searched for h in hits}, words=False)
    judged: dict[str, tuple] = {}
    for entry, hits, topics in searched:
        entry["results"], entry["ineligible"] = _match_need(facts, hits, programs, judged,
                                                            words, now, cfg, topics)
    return {"needs": out, "poverty_guideline": poverty}


def _candidates(facts: ClientFacts, categories: list[str], words: str, cfg) -> list:
    """The search hits of one need: its categories near the client, nearest (or most
    relevant to the words) first, at most RESDIR_MATCH_CANDIDATES."""
    request = SearchRequest(
        text=words, categories=categories, point=facts.point,
        radius_mi=cfg["RESDIR_MATCH_RADIUS_MI"] if facts.point else None,
        sort="relevance" if words.strip() else ("distance" if facts.point else "relevance"),
        per_page=cfg["RESDIR_MATCH_CANDIDATES"], facets=False,
    )
    return indexing.search_index().search(request).hits


TOPIC_DECAY = 0.8


def _topics(facts: ClientFacts, categories: list[str], phrases: tuple[str, ...],
            cfg) -> dict[str, tuple]:
    """Programs of the need's categories near the client that say what the need is about
    (Need.words), each searched alone: id -> (hit, (relevance 0-1, the phrase)). A phrase
    counts only where a program has all its words (not "partner" for "intimate partner").
    The phrases come most telling first ("elder abuse" before "abuse"): each counts
    TOPIC_DECAY times the one before."""
    found: dict[str, tuple] = {}
    for i, phrase in enumerate(phrases):
        result = indexing.search_index().search(SearchRequest(
            text=phrase, categories=categories, point=facts.point,
            radius_mi=cfg["RESDIR_MATCH_RADIUS_MI"] if facts.point else None,
            sort="relevance", per_page=cfg["RESDIR_MATCH_CANDIDATES"], facets=False))
        if result.matched != "all" or not result.hits:
            continue
        top = max(h.score for h in result.hits) or 1.0
        for hit in result.hits:
            fit = (round(hit.score / top * TOPIC_DECAY ** i, 4), phrase)
            if hit.id not in found or fit[0] > found[hit.id][1][0]:
                found[hit.id] = (hit, fit)
    return found


def _match_need(facts, hits, programs, judged, words, now, cfg, topics=None):
    """Rank one need's hits: (results, ineligible). `programs` holds the hits' ProgramFacts;
    `judged` keeps each program's verdict across needs; `topics` (from _topics, when the
    coordinator gave no words) puts the programs that say what the need is about first."""
    topics = topics or {}
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
        ranked = ranking.rank(program, verdict, hit.distance_mi,
                              hit.score / top if relevant else None, is_open, today,
                              stale_after, topic=topics.get(service_id))
        row = {
            "service_id": program.id,
            "name": program.name,
            "organization": program.organization_name,
            "distance_mi": hit.distance_mi,
            "eligibility": dict(verdict_json),
            "capacity": program.capacity_status,
            "score": ranked.score,
            "why": ranked.why,
            "about_need": service_id in topics,
        }
        (ineligible if verdict.status == "ineligible" else results).append(row)
    # Programs that say what the need is about come first: for intimate partner violence a
    # domestic violence program 8 miles away before a court reporter's office next door.
    results.sort(key=lambda r: (not r["about_need"], -r["score"], r["distance_mi"] or 0,
                                r["name"]))
    ineligible.sort(key=lambda r: (r["distance_mi"] or 0, r["name"]))
    return results, ineligible
