"""Which programs match a query, and how they rank: text, needs, distance, capacity, age.

The ranking formula (README "Search" repeats it):

    text(p)      = sum over the query's needed groups of the best alternative's
                   BM25(content) + TITLE_WEIGHT * BM25(title)      (typed words x1.25)
                 + OPTIONAL_WEIGHT * the same for optional words ("help", "near", "free")
    match(p)     = text(p) / the best text(p) among the matches                (0..1)
    need(p)      = share of the need-naming groups p is in by its category (for a program
                   without categories: whose words are in its name or source taxonomy
                   terms); half when p is in the category but has none of the words (0..1)
    relevance(p) = (1 - NEED_WEIGHT) * match(p) + NEED_WEIGHT * need(p)
                   (just match(p) when the query names no need)
    score(p)     = relevance(p) * near(p) * open(p) * fresh(p)
    near(p)      = NEAR_FLOOR + (1 - NEAR_FLOOR) * exp(-miles / NEAR_MILES)    (1 without a place)
    open(p)      = CAPACITY_FACTOR[capacity status]  (accepting 1.0 ... full 0.8)
    fresh(p)     = 1, or STALE_FACTOR when not verified since the request's fresh_since

So a word in a program's name or categories counts about twice one in its description,
a program in the category the query names outranks a passing mention in a long
description, and of two equal text matches the nearer, accepting, recently verified
program comes first; distance alone can at most halve a score, so a much better match a
little further away still leads. Ties go to the nearer program, then index order.
"""

from __future__ import annotations

import numpy as np

from resdir.search import querytext
from resdir.search.querytext import Group
from resdir.search.scoring import evaluate, term_counts
from resdir.search.types import SearchRequest
from resdir.search.view import View

TITLE_WEIGHT = 1.0
OPTIONAL_WEIGHT = 0.25
NEED_WEIGHT = 0.4
CATEGORY_ONLY = 0.5  # need credit of a category match without the words
NEAR_MILES = 10.0
NEAR_FLOOR = 0.5
# A full program is still the right kind of help (a waitlist, a call back): it goes down,
# not away.
CAPACITY_FACTOR = {
    "capacity": 1.0,
    "unknown": 0.97,
    "additional-assessment-required": 0.95,
    "waitlist": 0.9,
    "no-capacity": 0.8,
}
STALE_FACTOR = 0.85


def _only_inside(view: View, alt: tuple[str, ...], longer: tuple[str, ...],
                 cand: np.ndarray) -> np.ndarray:
    """Candidates whose every mention of the phrase `alt` is inside one of the `longer`
    phrases ("day care" only ever in "adult day care"), by the terms' counts."""
    term = querytext.phrase_of(alt)
    if term is None:
        return np.zeros(cand.size, dtype=bool)
    inside = np.zeros(cand.size)
    for phrase in longer:
        other = querytext.phrase_of(phrase)
        if other is not None:
            inside += term_counts(view, other, "content", cand)
    return (inside > 0) & (inside >= term_counts(view, term, "content", cand))


def _group_score(view: View, group: Group, cand: np.ndarray):
    """(hit, score, named, other): which candidates match the group's words, the best
    alternative's score, which have all the words of an alternative in the title (name,
    the source's taxonomy terms), and which name the word's other sense ("animal")."""
    hit = np.zeros(cand.size, dtype=bool)
    named = np.zeros(cand.size, dtype=bool)
    best = np.zeros(cand.size)
    # A phrase ("family violence") absent from an index built with the current vocabulary
    # is in no text: its words apart ("family" ... "violence") are not it. In an older
    # index, a phrase counts when the index has its term. (None: every phrase term counts,
    # and querytext keeps the queries it builds.)
    indexed = None if view.has_vocabulary() else (lambda term: view.doc_frequency(term) > 0)

    contents = querytext.group_alternatives(group, "content", indexed)
    titles = querytext.group_queries(group, "title", indexed)
    qualified = dict(group.qualified)
    for (alt, content_q), title_q in zip(contents, titles, strict=True):
        alt_hit, score = evaluate(view, content_q, cand)
        if alt in qualified and alt_hit.any():
            alt_hit &= ~_only_inside(view, alt, qualified[alt], cand)
        if not alt_hit.any():
            continue
        title_hit, title_score = evaluate(view, title_q, cand)
        score = score + TITLE_WEIGHT * title_score
        hit |= alt_hit
        named |= title_hit & alt_hit
        np.maximum(best, np.where(alt_hit, score, 0.0), out=best)
    other = np.zeros(cand.size, dtype=bool)
    if group.wrong_sense:
        # "shelter" in the name of an animal shelter is the other sense of the word.
        for word in group.wrong_sense:
            for term in querytext.analyse(word):
                other |= evaluate(view, querytext.alternative_query((term,), "title"), cand)[0]
        hit &= ~other
        named &= ~other
        best[other] = 0.0
    return hit, best, named, other


def match(view: View, groups: list[Group], cand: np.ndarray, either: bool = False):
    """(hit, relevance, mode) over the candidates: programs matching every needed group
    (by its words, or by being in the category of the whole need it names), else any of
    them ("any"). With `either` (the query joins its parts with "and"/"or": "food and
    clothing"), a program matching one part matches what was asked (mode "all"), its
    relevance times the share of the parts it matches."""
    needed = [g for g in groups if not g.optional]
    text = np.zeros(cand.size)
    every = np.ones(cand.size, dtype=bool)
    some = np.zeros(cand.size, dtype=bool)
    parts = np.zeros(cand.size)
    need_hits = np.zeros(cand.size)
    naming = 0
    uncategorized = None
    for group in groups:
        hit, score, named, other = _group_score(view, group, cand)
        if group.optional:
            text += OPTIONAL_WEIGHT * score
            continue
        text += score
        if group.categories:
            naming += 1
            # An animal shelter filed under housing is still not "shelter" for people.
            in_category = view.any_at("category", group.categories, cand) & ~other
            if uncategorized is None:
                uncategorized = ~view.derived("categorized", _categorized)[cand]
            # The need is named by the program's category; for a program without any
            # category, by its name or the source's own taxonomy terms. (A categorized
            # "Bus Rentals" in transportation does not name the need "rent".)
            # A program in the category whose words do not say so gets half the credit:
            # categories can be guesses (from text, by a classifier), words are the listing.
            need_hits += np.where(hit, in_category | (named & uncategorized),
                                  CATEGORY_ONLY * in_category)
            if group.whole_need:
                hit = hit | in_category
        every &= hit
        some |= hit
        parts += hit
    mode = "all"
    hit = (some if either else every) if needed else np.zeros(cand.size, dtype=bool)
    if needed and not hit.any() and len(needed) > 1:
        hit, mode = some, "any"
    top = float(text[hit].max()) if hit.any() else 0.0
    relevance = text / top if top > 0 else np.zeros(cand.size)
    if naming:
        relevance = (1 - NEED_WEIGHT) * relevance + NEED_WEIGHT * need_hits / naming
    if either and len(needed) > 1:
        # "food and clothing": a program offering both comes before one offering one.
        relevance = relevance * parts / len(needed)
    return hit, relevance, mode


def _categorized(view: View) -> np.ndarray:
    """Which docs of the view have a category."""
    return view.any_mask("category", view.lexicon("category"))


def _capacity_factors(view: View) -> np.ndarray:
    """open(p) of every doc of the view (worked out once per view)."""
    factor = np.full(view.size, CAPACITY_FACTOR["unknown"])
    for status, value in CAPACITY_FACTOR.items():
        if status != "unknown":
            factor[view.mask("capacity", status)] = value
    return factor


def adjusted(view: View, cand: np.ndarray, relevance: np.ndarray, dist, req: SearchRequest):
    """relevance * near * open * fresh (see the module docstring)."""
    score = relevance.copy()
    if dist is not None:
        score *= NEAR_FLOOR + (1 - NEAR_FLOOR) * np.exp(-np.asarray(dist) / NEAR_MILES)
    score *= view.derived("capacity factor", _capacity_factors)[cand]
    if req.fresh_since is not None:
        stale = view.verified_days()[cand] < req.fresh_since.toordinal()
        score[stale] *= STALE_FACTOR
    return score
