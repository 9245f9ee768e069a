"""What each process keeps of the index (resdir/search/postings.py, segments.py): compact,
and the same numbers Whoosh reads (issue 12: per-worker memory at 100,000 programs)."""

import numpy as np
import pytest
from whoosh import query

from resdir.search import Document, SearchIndex, SearchRequest, querytext
from resdir.search.postings import read_postings
from resdir.search.scoring import evaluate
from tests.test_search_engine import assert_scores_as_whoosh, corpus


@pytest.fixture
def index(tmp_path):
    """Enough programs that a common word's posting list spans several of Whoosh's
    blocks (128 postings each), then updates and deletions: three segments."""
    ix = SearchIndex(tmp_path / "index")
    ix.rebuild(corpus(700))
    ix.update(corpus(760, seed=8)[650:], delete_ids=["p3", "p140", "p300"])
    ix.update(corpus(700)[10:12], delete_ids=["p600"])
    yield ix
    ix.close()


def whoosh_postings(leaf, field: str, text: str) -> tuple[list[int], list[float]]:
    """The term's live postings as Whoosh's matcher gives them, one by one."""
    matcher = leaf.postings(field, text)
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return ids, weights


def test_posting_lists_read_by_block_are_whoosh_postings(index):
    """Every posting list of every segment, read block by block into compact arrays, has
    Whoosh's docnums and frequencies (deleted documents aside, which a view leaves out)."""
    with index.using_view() as view:
        leaves = [leaf for leaf, _ in view.reader.leaf_readers()]
        assert len(leaves) == 3 and any(leaf.has_deletions() for leaf in leaves)
        longest = 0
        for leaf in leaves:
            deleted = leaf.deleted_docs_set
            for field in ("content", "title", "category", "cell"):
                for raw in leaf.lexicon(field):
                    text = raw.decode()
                    ids, weights = read_postings(leaf, field, text)
                    assert ids.dtype == np.int32
                    assert weights.dtype in (np.uint8, np.float64)
                    live = ~np.isin(ids, list(deleted)) if deleted else slice(None)
                    expected_ids, expected_weights = whoosh_postings(leaf, field, text)
                    assert ids[live].tolist() == expected_ids, (field, text)
                    assert weights[live].astype(float).tolist() == expected_weights
                    longest = max(longest, ids.size)
        assert longest > 3 * 128  # several blocks were read


@pytest.mark.parametrize("text", ["food", "food pantry", "bus rides seniors", "legal aid"])
def test_scores_from_compact_postings_equal_whoosh_search(index, text):
    with index.using_view() as view:
        for require_all in (True, False):
            q = querytext.build(querytext.words(text), require_all, "content")
            assert_scores_as_whoosh(view, q)


def test_kept_postings_take_five_bytes_each(index):
    """The lists a segment keeps for the next searches: 4-byte docnums and 1-byte counts
    (16 bytes a posting before: 64 MB per worker at 100,000 programs)."""
    for text in ("food", "pantry meals", "rent housing shelter", "dental clinic jobs"):
        index.search(SearchRequest(text=text, statuses=[]))
    kept = [postings for segment in index._segments._segments.values()
            for postings in segment.postings.items.values()]
    count = sum(ids.size for ids, _ in kept)
    size = sum(ids.nbytes + weights.nbytes for ids, weights in kept)
    assert count > 1000
    assert size == 5 * count


def test_a_frequency_that_is_not_a_small_whole_number_is_kept_exactly():
    from resdir.search.postings import compact_weights

    assert compact_weights(np.array([1.0, 3.0, 255.0])).dtype == np.uint8
    for weights in ([1.0, 256.0], [1.0, 2.5], [-1.0]):
        kept = compact_weights(np.array(weights))
        assert kept.dtype == np.float64 and kept.tolist() == weights


def test_ids_of_any_length_come_back_whole(tmp_path):
    """Ids are kept as bytes in one fixed-width array: a longer id than the others (or one
    with letters outside ASCII) widens it instead of being cut."""
    ids = ["p1", "x" * 80, "prógram-ñ-" + "é" * 30, "p2"]
    ix = SearchIndex(tmp_path / "index")
    ix.rebuild([Document(id=i, stamp="1", name=f"Food pantry {n}", text="food")
                for n, i in enumerate(ids)])
    found = ix.search(SearchRequest(text="food", statuses=[], per_page=10))
    assert sorted(h.id for h in found.hits) == sorted(ids)
    assert sorted(h.id for h in ix.search(SearchRequest(text="food", statuses=[])).hits) == (
        sorted(ids))
    ix.close()


def test_closures_are_kept_once_per_distinct_list(tmp_path):
    """Programs closed on the same days share one kept list; each still closes only on
    its own days."""
    from datetime import datetime

    holidays = [("2026-12-25", "2026-12-26"), ("2027-01-01", "2027-01-01")]
    docs = [Document(id=f"p{n}", stamp="1", name=f"Pantry {n}", text="food",
                     open_minutes=[(0, 7 * 1440)], closures=holidays if n < 3 else
                     [("2026-12-24", "2026-12-24")]) for n in range(5)]
    ix = SearchIndex(tmp_path / "index")
    ix.rebuild(docs)

    def open_on(day: str) -> set[str]:
        at = datetime.fromisoformat(day + "T12:00")
        return {h.id for h in ix.search(SearchRequest(
            text="food", statuses=[], open_at=lambda tz: at, per_page=10)).hits}

    assert open_on("2026-12-25") == {"p3", "p4"}
    assert open_on("2026-12-24") == {"p0", "p1", "p2"}
    (segment,) = ix._segments._segments.values()
    kept = {id(v) for v in segment.closed.values()}
    assert len(segment.closed) == 5 and len(kept) == 2
    ix.close()


def test_query_terms_without_postings_match_nothing(index):
    with index.using_view() as view:
        hit, _ = evaluate(view, query.Term("content", "zzzunknown"), view.live())
        assert not hit.any()


def test_ages_and_hours_with_the_same_terms_share_one_mask(tmp_path):
    """A view kept a mask over every document for each age (up to 121) and each minute of
    the week asked (up to 64): 100 kB each at 100,000 programs. Ages and minutes that the
    same age ranges and weekly hours include now share one; every answer stays right."""
    from datetime import datetime, timedelta

    spans = [(None, None), (0, 17), (18, 64), (60, None)]
    weeks = [[(d * 1440 + 540, d * 1440 + 1020) for d in range(5)], [(0, 7 * 1440)]]
    docs = [Document(id=f"p{n}", stamp="1", name=f"Pantry {n}", text="food",
                     minimum_age=spans[n % 4][0], maximum_age=spans[n % 4][1],
                     open_minutes=weeks[n % 2]) for n in range(40)]
    ix = SearchIndex(tmp_path / "index")
    ix.rebuild(docs)

    def found(**request) -> set[str]:
        return {h.id for h in ix.search(SearchRequest(
            text="food", statuses=[], per_page=100, **request)).hits}

    for age in range(100):
        assert found(age=age) == {d.id for d in docs if (d.minimum_age or 0) <= age <= (
            d.maximum_age if d.maximum_age is not None else 200)}, age
    monday = datetime(2026, 1, 5)
    for hour in range(0, 7 * 24, 3):
        at = monday + timedelta(hours=hour)
        minute = hour * 60
        assert found(open_at=lambda tz, at=at: at) == {
            d.id for d in docs if any(a <= minute < b for a, b in d.open_minutes)}, hour
    with ix.using_view() as view:
        arrays = {id(v) for v in view._masks.values() if v.size == 40}
    assert len(arrays) <= 20, len(arrays)  # 100 ages and 56 hours asked
    ix.close()


def test_kept_answers_are_compressed_and_bounded_in_bytes():
    """API answers kept for repeated queries: the same bytes back, about a third of their
    size kept, and never more than the byte budget however large the pages asked."""
    import json
    import random

    from resdir.search.kept import PackedAnswers

    rnd = random.Random(3)
    words = "food pantry rent help clinic dental legal aid shelter seniors".split()

    def answer(results: int) -> bytes:
        return json.dumps({"results": [
            {"id": f"{rnd.getrandbits(64):x}", "name": " ".join(rnd.choices(words, k=4)),
             "description": " ".join(rnd.choices(words, k=40)), "distance_mi": 1.25}
            for _ in range(results)]}).encode()

    kept = PackedAnswers(1000, budget=200_000)
    pages = {n: answer(20) for n in range(20)}
    for n, body in pages.items():
        kept.put(n, body)
    assert all(kept.get(n) == body for n, body in pages.items())
    assert kept.weight < sum(map(len, pages.values())) / 2
    for n in range(20, 60):  # pages of 100 results
        kept.put(n, answer(100))
    assert kept.weight <= 200_000 and 0 < len(kept) < 40
    assert kept.get(0) is None  # the oldest went first


def test_packed_names_read_back_as_given():
    from resdir.search.kept import PackedNames

    names = [b"food bank", b"", "caf\u00e9 \u00e0 la carte".encode(), b"z" * 300, b""]
    packed = PackedNames(names)
    assert len(packed) == 5 and list(packed) == names
    assert [packed[i] for i in range(5)] == names
    assert list(PackedNames([])) == []
