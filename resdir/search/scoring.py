"""Answering a request on a view: geography, opening hours, BM25 scores, ranking."""

from __future__ import annotations

import logging
import math
from bisect import bisect_left
from datetime import date

import numpy as np
from whoosh import query
from whoosh.automata.fsa import find_all_matches
from whoosh.automata.lev import levenshtein_automaton

from resdir.geo import bounding_box, distance_mi, distances_mi
from resdir.search.segments import NO_FLOATS, NO_IDS
from resdir.search.types import SearchRequest
from resdir.search.view import View

log = logging.getLogger(__name__)
SCORED_FIELDS = ("content", "title")

def both(a: np.ndarray | None, b: np.ndarray) -> np.ndarray:
    return b if a is None else a & b


def known(view: View, term: str) -> bool:
    return view.doc_frequency(term) > 0


def suggest(view: View, word: str) -> str | None:
    """The nearest word of the index's word list: fewest edits, then most programs."""
    wordlist, counts = view.words()
    if not wordlist:
        return None

    def first_from(text: str) -> str | None:
        # (whoosh.spelling.ListCorrector's own lookup skips words: not used.)
        i = bisect_left(wordlist, text)
        return wordlist[i] if i < len(wordlist) else None

    for dist in range(1, (1 if len(word) < 6 else 2) + 1):
        dfa = levenshtein_automaton(word, dist).to_dfa()
        found = [w for w in find_all_matches(dfa, first_from) if w != word]
        if found:
            return min(found, key=lambda w: (-counts.get(w, 0), w))
    return None


def geo_candidates(view: View, req: SearchRequest):
    """Docs within the radius (sorted docnums) and their distances, reading only the
    points inside the radius's box (View.points_in); (None, None) without a point."""
    if req.point is None or req.radius_mi is None:
        return None, None
    lat, lon = req.point
    box = bounding_box(lat, lon, req.radius_mi)
    docs, lats, lons, several = view.points_in(box)
    if not docs.size:
        return NO_IDS, NO_FLOATS
    # A doc with one point: numpy's distance. One with several: its nearest point inside
    # the box, by resdir.geo.distance_mi (it may have several entries here).
    single = ~several
    near = docs[single]
    dist = distances_mi(lat, lon, lats[single], lons[single])
    if several.any():
        multi = np.unique(docs[several])
        near = np.concatenate((near, multi))
        dist = np.concatenate((dist, [exact_distance(view, int(d), req, box)
                                      for d in multi.tolist()]))
    order = near.argsort()
    near, dist = near[order], dist[order]
    # numpy's sin/cos may differ from the C library's in the last bit: near the radius,
    # and for the distances shown, ask resdir.geo itself (see exact_distance).
    for i in np.flatnonzero(np.abs(dist - req.radius_mi) <= 1e-9 * req.radius_mi).tolist():
        dist[i] = exact_distance(view, int(near[i]), req, box)
    inside = dist <= req.radius_mi
    return near[inside], dist[inside]


def exact_distance(view: View, docnum: int, req: SearchRequest, box=None) -> float:
    """Distance to the doc's nearest point inside the box, by resdir.geo.distance_mi."""
    min_lat, min_lon, max_lat, max_lon = box or bounding_box(*req.point, req.radius_mi)
    best = math.inf
    for plat, plon in view.all_points(docnum):
        if min_lat <= plat <= max_lat and min_lon <= plon <= max_lon:
            best = min(best, distance_mi(req.point, (plat, plon)))
    return best


def open_now(view: View, open_at, cand: np.ndarray) -> np.ndarray:
    """Which candidates are open at the local time `open_at(tz)` gives in their zone."""
    out = np.zeros(cand.size, dtype=bool)
    for tz in view.lexicon("tz"):
        try:
            local = open_at(tz)
        except (KeyError, ValueError):
            continue
        in_zone = view.mask("tz", tz)[cand]
        if not in_zone.any():
            continue
        minute = local.weekday() * 1440 + local.hour * 60 + local.minute
        ok = in_zone & view.open_mask(minute)[cand]
        for i in np.flatnonzero(ok & view.mask("flags", "closures")[cand]).tolist():
            if closed_on(view.closures(int(cand[i])), local.date()):
                ok[i] = False
        out |= ok
    return out


def closed_on(closures: list, day: date) -> bool:
    iso = day.isoformat()
    return any(first <= iso <= last for first, last in closures)


def evaluate(view: View, q: query.Query, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which candidates match `q`, and their scores: Whoosh's BM25F (its idf, average and
    quantised lengths, B and K1), summed over And/Or and multiplied by boosts as Whoosh's
    matchers do. Scores are 0 where a candidate does not match."""
    if isinstance(q, query.Term) and q.fieldname in SCORED_FIELDS:
        hit, score = view.term_hits(q.text, q.fieldname, cand)
    elif isinstance(q, query.And | query.Or | query.DisjunctionMax) and q.subqueries:
        # DisjunctionMax is an Or whose score is its best part's, not their sum.
        best_only = isinstance(q, query.DisjunctionMax)
        parts = [evaluate(view, sub, cand) for sub in q.subqueries]
        hit = parts[0][0].copy()
        score = parts[0][1].copy()
        for sub_hit, sub_score in parts[1:]:
            if isinstance(q, query.And):
                hit &= sub_hit
            else:
                hit |= sub_hit
            if best_only:
                np.maximum(score, sub_score, out=score)
            else:
                score += sub_score
        if isinstance(q, query.And):
            score[~hit] = 0.0
    else:
        raise TypeError(f"cannot evaluate {q!r}")  # querytext builds only these types
    if q.boost != 1.0:
        score = score * q.boost
    return hit, score


def term_counts(view: View, term: str, field: str, cand: np.ndarray) -> np.ndarray:
    """How many times each candidate has the term in the field (0 where it has not)."""
    ids, tfs = view.postings(term, field)
    out = np.zeros(cand.size)
    if ids.size and cand.size:
        pos = np.minimum(np.searchsorted(ids, cand), ids.size - 1)
        found = ids[pos] == cand
        out[found] = tfs[pos[found]]
    return out


def rank(view: View, cand: np.ndarray, scores, dist, sort: str,
         page: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Positions in `cand`, best first. Programs equal in score and distance are in name
    order where they reach the `page` (start, stop) positions."""
    far = dist if dist is not None else np.full(cand.size, np.inf)
    if scores is not None and sort != "distance":
        keys = (-scores, far)
    elif dist is not None:
        keys = (dist, -(scores if scores is not None else np.zeros(cand.size)))
    else:
        return np.argsort(view.name_rank()[cand], kind="stable")
    order = np.lexsort((cand, keys[1], keys[0]))
    return _ties_by_name(view, cand, order, keys, *page)


def _ties_by_name(view: View, cand: np.ndarray, order: np.ndarray, keys, start: int,
                  stop: int) -> np.ndarray:
    """`order` with each run of equal keys that reaches positions start..stop sorted by
    name (then docnum). Ties are common (every program that matches a query only by its
    category scores the same), and the docnum order they kept came from how the index was
    built: a re-import of the same directory showed another page of them. Only the runs on
    the page are sorted, with names kept per segment, so the cost follows the page."""
    n = order.size
    stop = min(stop, n)
    if start >= stop or n < 2:
        return order
    same = np.ones(n - 1, dtype=bool)
    for key in keys:
        ranked = key[order]
        same &= ranked[1:] == ranked[:-1]
    starts = np.concatenate(([0], np.flatnonzero(~same) + 1))
    ends = np.append(starts[1:], n)
    first, last = np.searchsorted(starts, [start, stop - 1], side="right") - 1
    order = order.copy()
    for a, b in zip(starts[first:last + 1].tolist(), ends[first:last + 1].tolist(),
                    strict=True):
        if b - a > 1:
            run = order[a:b]
            docs = cand[run]
            names = view.sort_names(docs)
            order[a:b] = run[sorted(range(b - a), key=lambda i: (names[i], docs[i]))]
    return order
