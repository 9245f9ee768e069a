"""Answering one request on a view: candidates, filters, text relevance, facets, ranking,
the page of hits, and "did you mean"."""

from __future__ import annotations

import math

import numpy as np

from resdir.search import querytext, relevance
from resdir.search.scoring import (
    both,
    exact_distance,
    geo_candidates,
    known,
    open_now,
    rank,
    suggest,
)
from resdir.search.types import Hit, SearchRequest, SearchResult
from resdir.search.view import View


def answer(view: View, req: SearchRequest) -> SearchResult:
    ws = querytext.words(req.text)
    suggestion, corrected = None, False
    fixed = querytext.correct(ws, lambda t: known(view, t), lambda w: suggest(view, w))
    if fixed:
        suggestion = " ".join(fixed)
    result = _run(view, req, ws)
    if fixed and result.total == 0:
        result = _run(view, req, fixed)
        corrected = True
    result.suggestion, result.corrected = suggestion, corrected
    return result


def _run(view: View, req: SearchRequest, ws: list[str]) -> SearchResult:
    # Candidates: docnums (sorted) and, with a radius, their distances.
    cand, dist = geo_candidates(view, req)
    if cand is None:
        cand = view.live()
    keep = None
    for field, values in (
        ("status", [s.replace(" ", "_") for s in req.statuses]),
        ("language", req.languages),
        ("capacity", req.capacities),
    ):
        if values:
            keep = both(keep, view.any_at(field, values, cand))
    if req.age is not None:
        keep = both(keep, view.age_mask(req.age)[cand])
    if keep is not None:
        cand = cand[keep]
        dist = dist[keep] if dist is not None else None
    if req.open_at is not None:
        keep = open_now(view, req.open_at, cand)
        cand = cand[keep]
        dist = dist[keep] if dist is not None else None

    matched_mode = "all"
    scores = None
    groups = querytext.parse(ws)
    if groups:
        # Which programs match, and their score: resdir/search/relevance.py.
        hit, scores, matched_mode = relevance.match(
            view, groups, cand, either=querytext.either(ws))
        cand, scores = cand[hit], scores[hit]
        dist = dist[hit] if dist is not None else None
        scores = relevance.adjusted(view, cand, scores, dist, req)

    facets = {}
    if req.facets:
        names, matrix = view.derived("categories", _category_matrix)
        counts = np.count_nonzero(matrix[cand], axis=0).tolist() if names else ()
        facets = {c: n for c, n in zip(names, counts, strict=True) if n}
    if req.categories:
        keep = view.any_at("category", req.categories, cand)
        cand = cand[keep]
        scores = scores[keep] if scores is not None else None
        dist = dist[keep] if dist is not None else None

    start = (req.page - 1) * req.per_page
    order = rank(view, cand, scores, dist, req.sort, (start, start + req.per_page))
    page = order[start : start + req.per_page]
    docs = cand[page].tolist()
    found = view.page_of(docs, req.shown)
    # The page's scores and distances as Python floats in one step each (the same values
    # float() gives one at a time).
    page_scores = scores[page].tolist() if scores is not None else [None] * len(docs)
    page_dist = dist[page].tolist() if dist is not None else [None] * len(docs)
    hits = [
        Hit(
            id=doc_id,
            score=round(score, 4) if score is not None else 0.0,
            distance_mi=(shown_distance(view, docnum, near, req) if near is not None
                         else None),
            shown=text,
        )
        for docnum, (doc_id, text), score, near in zip(docs, found, page_scores, page_dist,
                                                        strict=True)
    ]
    return SearchResult(
        total=int(cand.size),
        hits=hits,
        facets=dict(sorted(facets.items())),
        matched=matched_mode,
        terms=querytext.terms_of(ws),
    )


def _category_matrix(view: View) -> tuple[list[str], np.ndarray]:
    """The categories, and which docs are in each (a row per doc): the facets of a search
    are one count over its candidates' rows (issue 12: a count per category was ~10% of
    a search's engine time)."""
    names = view.lexicon("category")
    matrix = np.zeros((view.size, len(names)), dtype=bool)
    for i, name in enumerate(names):
        matrix[:, i] = view.mask("category", name)
    return names, matrix


def shown_distance(view: View, docnum: int, near: float, req: SearchRequest) -> float:
    """A hit's distance as shown, to 2 decimals. `near` is numpy's great-circle distance
    (geo_candidates), which may differ from resdir.geo.distance_mi's in the last bits: that
    changes the rounded value only right next to a rounding boundary, so only there is the
    exact distance computed (computing it for every hit was ~10% of a match's CPU)."""
    scaled = near * 100
    if abs(scaled - math.floor(scaled) - 0.5) > 1e-6:
        return round(near, 2)
    return round(exact_distance(view, docnum, req), 2)
