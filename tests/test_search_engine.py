"""The search engine itself (resdir.search), without the app: scores, Whoosh assumptions,
and what a write costs the searches after it (issues 12 and 14)."""

import gc
import inspect
import os
import random

import pytest
from whoosh import index as whoosh_index
from whoosh import query
from whoosh.codec import whoosh3
from whoosh.reading import SegmentReader

from resdir.search import Document, SearchIndex, SearchRequest, answering, querytext
from resdir.search.scoring import evaluate

WORDS = ("food pantry groceries meals rent housing shelter counseling therapy legal aid "
         "clinic dental jobs training childcare youth seniors bus rides utility bills").split()


def corpus(n: int, seed: int = 7) -> list[Document]:
    rnd = random.Random(seed)
    return [
        Document(
            id=f"p{i}", stamp=str(i), name=" ".join(rnd.sample(WORDS, 2)).title(),
            organization=f"Org {i % 7}", text=" ".join(rnd.choices(WORDS, k=rnd.randint(5, 40))),
            categories=[rnd.choice(["food", "housing", "health"])],
            points=[(40.44 + rnd.uniform(-0.1, 0.1), -79.99 + rnd.uniform(-0.1, 0.1))],
        )
        for i in range(n)
    ]


@pytest.fixture
def index(tmp_path):
    ix = SearchIndex(tmp_path / "index")
    ix.rebuild(corpus(120))
    yield ix
    ix.close()


def whoosh_scores(view, q) -> dict[int, float]:
    """Whoosh's own scores. Its DisjunctionMaxMatcher takes the max of both sides' scores
    even when they stand on different documents (whoosh/matching/binary.py), so a
    DisjunctionMax is scored as what it means: the best of its parts, each by Whoosh."""
    if not any(isinstance(x, query.DisjunctionMax) for x in [q, *q.children()]) and not (
            isinstance(q, query.And | query.Or)
            and any(isinstance(c, query.DisjunctionMax) for c in q.children())):
        return {hit.docnum: hit.score for hit in view.searcher.search(q, limit=None)}
    parts = [whoosh_scores(view, sub) for sub in q.children()]
    docs = set.intersection(*map(set, parts)) if isinstance(q, query.And) else set().union(
        *parts)
    combine = max if isinstance(q, query.DisjunctionMax) else sum
    return {d: q.boost * combine(p[d] for p in parts if d in p) for d in docs}


def assert_scores_as_whoosh(view, q) -> None:
    """resdir's evaluation of `q` finds the documents Whoosh finds, with Whoosh's scores."""
    expected = whoosh_scores(view, q)
    hit, scores = evaluate(view, q, view.live())
    ours = {int(d): float(s) for d, s, h in zip(view.live(), scores, hit, strict=True) if h}
    assert set(ours) == set(expected), q
    for docnum, score in expected.items():
        assert ours[docnum] == pytest.approx(score, rel=1e-9), (q, docnum)


QUERIES = ["food", "food pantry", "rent help", "dental clinic", "bus rides seniors",
           "legal aid", "therapy"]


@pytest.mark.parametrize("text", QUERIES)
@pytest.mark.parametrize("field", ["content", "title"])
def test_scores_equal_whoosh_search(index, text, field):
    """resdir computes BM25F itself on numpy arrays; for the queries it builds (terms,
    And, Or, DisjunctionMax, boosts) its scores are Whoosh searcher.search()'s, also after
    updates and deletions have split the index into segments."""
    index.update(corpus(130, seed=8)[100:], delete_ids=["p3", "p50"])
    with index.using_view() as view:
        assert len(list(view.reader.leaf_readers())) > 1
        for require_all in (True, False):
            q = querytext.build(querytext.words(text), require_all, field)
            if q is None:
                continue
            assert_scores_as_whoosh(view, q)


def test_whoosh_patch_target_still_exists():
    """schema.py replaces whoosh3.W3PerDocReader._cached_reader (a third of a rebuild's
    time); a Whoosh upgrade that renames it or changes its signature must fail here."""
    cls = whoosh3.W3PerDocReader
    assert cls._resdir_patched
    original = cls._resdir_original
    assert list(inspect.signature(original).parameters) == ["self", "fieldname", "column"]
    assert "self._readers" in inspect.getsource(original)
    assert "_readers" in inspect.getsource(cls.__init__)


def test_unscored_field_length_is_asked_once(index):
    with index.using_view() as view:
        (leaf, _), *_ = view.reader.leaf_readers()
        perdoc = leaf._perdoc
        assert perdoc.doc_field_length(0, "category", 1) == 1
        assert perdoc._readers["_category_len"] is None  # remembered: no second stat()


def test_searches_after_a_write_read_only_the_new_segment(index, monkeypatch):
    """Issue 12: a write used to clear every cache, so the next searches read every posting
    list again (350 ms, then 8.4x slower at 100,000 programs). Now only the documents of
    the segment the write added are read."""
    request = SearchRequest(text="pantry", point=(40.44, -79.99), radius_mi=10,
                            statuses=[], per_page=200)
    index.search(request)
    read_docs = []
    original = SegmentReader.postings

    def counting(self, fieldname, text, *args, **kwargs):
        if fieldname != "id":  # the writer finding the document it replaces
            read_docs.append(self.doc_count_all())
        return original(self, fieldname, text, *args, **kwargs)

    monkeypatch.setattr(SegmentReader, "postings", counting)
    docs = corpus(120)
    docs[5].text += " pantry"
    index.update([docs[5]])  # opens and warms the next searcher now, off the search path
    after = index.search(request)
    assert read_docs and max(read_docs) <= 2, read_docs
    assert "p5" in {h.id for h in after.hits}


def open_index_files(root) -> list[str]:
    paths = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(root)):
            paths.append(target)
    return paths


def test_writes_leave_no_searchers_open(index):
    """Issue 12: every update left the old searcher's files open until a full garbage
    collection (one file per update; 394 -> 839 MB after 60 updates). Now no index file is
    open twice, and none of a segment that merges removed."""
    request = SearchRequest(text="food", statuses=[])
    docs = corpus(120)
    index.search(request)
    gc.disable()
    try:
        for i in range(12):
            docs[i].text += " pantry"
            index.update([docs[i]])
            index.search(request)
            files = open_index_files(index.root)
            assert len(files) == len(set(files)), sorted(files)
            assert not [f for f in files if f.endswith(" (deleted)")]
    finally:
        gc.enable()


def test_writes_after_the_random_module_is_reseeded_keep_every_segment(index):
    """Whoosh named segments with the shared `random` module: reseeding it (hypothesis does,
    before every example) repeated a segment's name, the next write truncated that live
    segment's files, and every later write failed (FileFormatError, then LockError)."""
    docs = corpus(120)
    for i in range(3):
        random.seed(1)
        docs[i].text += " marmalade"
        index.update([docs[i]])
    found = index.search(SearchRequest(text="marmalade", statuses=[]))
    assert {h.id for h in found.hits} == {"p0", "p1", "p2"}


def test_views_agree_with_a_fresh_index_after_updates(index, tmp_path):
    """The cached segments reused across writes give the same answers as a new index (the
    same programs, distances and facets; scores differ a little, as Whoosh's statistics
    count replaced documents until their segment is merged)."""
    docs = corpus(120)
    rnd = random.Random(3)
    request = SearchRequest(text="food rent", point=(40.44, -79.99), radius_mi=6,
                            statuses=[], per_page=200)
    index.search(request)
    for i in rnd.sample(range(120), 20):
        docs[i].text = " ".join(rnd.choices(WORDS, k=12))
        index.update([docs[i]])
        index.search(request)
    fresh = SearchIndex(tmp_path / "fresh")
    fresh.rebuild(docs)
    ours, theirs = index.search(request), fresh.search(request)
    assert sorted((h.id, h.distance_mi) for h in ours.hits) == sorted(
        (h.id, h.distance_mi) for h in theirs.hits)
    assert (ours.total, ours.facets) == (theirs.total, theirs.facets)
    fresh.close()


def test_query_types_are_the_ones_evaluate_knows():
    q = querytext.build(querytext.words("rent help food"), True)
    kinds = {type(x) for x in q.leaves()} | {type(q)}
    assert kinds <= {query.Term, query.And, query.Or, query.DisjunctionMax}


def test_a_search_in_flight_survives_another_process_merging_its_segments(index, tmp_path):
    """CI, PostgreSQL outage test: a worker's search read a segment's stored fields for the
    first time just after another worker's catch-up commit merged that segment and removed
    its files; Whoosh then found no stored-fields file (TypeError, a 500), and points and
    lengths would have read as empty. A view holds every file it reads from the moment it
    opens."""
    docs = corpus(120)
    for i in range(4):  # small segments of their own, in separate files (not compound)
        docs[i].text += " marmalade"
        index.update([docs[i]])
    request = SearchRequest(text="food", point=(40.44, -79.99), radius_mi=10, statuses=[],
                            per_page=200)
    expected = SearchIndex(tmp_path / "expected")
    expected.rebuild(docs)
    want = sorted((h.id, h.distance_mi) for h in expected.search(request).hits)
    expected.close()
    fresh = SearchIndex(index.root)  # a worker that has not searched yet
    with fresh.using_view() as view:
        other = whoosh_index.open_dir(index.root / index.generation())
        other.writer().commit(optimize=True)  # another process merges every segment
        other.close()
        gone = [n for n in os.listdir(index.root / index.generation()) if n.endswith(".c")]
        assert len(gone) < 8, gone  # the view's segments' files are removed
        got = answering.answer(view, request)
    fresh.close()
    assert sorted((h.id, h.distance_mi) for h in got.hits) == want


def test_programs_that_score_the_same_are_listed_by_name_whatever_the_build_order(tmp_path):
    """Every program matching a query only by its category scores the same; they were listed
    in the order the index happened to be built in, so a re-import of the same directory
    showed another page of them (bench/relevance.py's 'legal aid' moved between 0.80 and
    1.00). Ties go by name, on every page."""
    names = ["Zephyr Pantry", "Acorn Pantry", "Maple Pantry", "Birch Pantry", "Cedar Pantry",
             "Linden Pantry", "Oak Pantry"]
    listed = []
    for seed in (1, 2):
        rnd = random.Random(seed)
        docs = [Document(id=f"p{rnd.random()}", stamp="1", name=name, organization="Org",
                         text="groceries every week", categories=["food"])
                for name in rnd.sample(names, len(names))]
        name_of = {d.id: d.name for d in docs}
        ix = SearchIndex(tmp_path / f"ix{seed}")
        ix.rebuild(docs)
        pages = [ix.search(SearchRequest(text="pantry", statuses=[], per_page=3, page=page))
                 for page in (1, 2, 3)]
        ix.close()
        assert len({h.score for p in pages for h in p.hits}) == 1  # all tied
        listed.append([[name_of[h.id] for h in p.hits] for p in pages])
    assert listed[0] == listed[1] == [["Acorn Pantry", "Birch Pantry", "Cedar Pantry"],
                                      ["Linden Pantry", "Maple Pantry", "Oak Pantry"],
                                      ["Zephyr Pantry"]]


@pytest.mark.parametrize("span", [None, 0])
def test_a_radius_finds_programs_by_their_nearest_place(tmp_path, monkeypatch, span):
    """A program with several places is found by whichever is inside the radius (not only
    its first), at that place's distance; what a radius search finds is exactly the
    programs with a place within it, also across segments and deletions (the radius reads
    each segment's points sorted by place, resdir/search/nearby.py)."""
    from resdir.geo import distance_mi
    from resdir.search import nearby

    if span is not None:  # a box's points found row by row, as in a large directory
        monkeypatch.setattr(nearby, "SPAN", span)
    rnd = random.Random(3)
    docs = [Document(id=f"p{i}", stamp=str(i), name=f"Program {i}", text="food",
                     points=[(40.44 + rnd.uniform(-0.4, 0.4), -79.99 + rnd.uniform(-0.5, 0.5))
                             for _ in range(rnd.choice([0, 1, 1, 2, 3]))])
            for i in range(160)]
    ix = SearchIndex(tmp_path / "index")
    ix.rebuild(docs[:120])
    ix.update(docs[120:], delete_ids=["p7"])
    ix.update([], delete_ids=["p130"])
    live = [d for d in docs if d.id not in ("p7", "p130")]
    try:
        for _ in range(25):
            point = (40.44 + rnd.uniform(-0.4, 0.4), -79.99 + rnd.uniform(-0.5, 0.5))
            radius = rnd.choice([0.5, 2, 5, 10, 25])
            found = ix.search(SearchRequest(point=point, radius_mi=radius, sort="distance",
                                            per_page=200))
            nearest = {d.id: min(distance_mi(point, p) for p in d.points)
                       for d in live if d.points}
            expected = {i: round(m, 2) for i, m in nearest.items() if m <= radius}
            assert {h.id: h.distance_mi for h in found.hits} == expected
            assert found.total == len(expected)
    finally:
        ix.close()


def _eager_snippet(text: str, terms: frozenset[str], limit: int, marked: bool) -> str:
    """snippets.snippet as it was before it analysed sentences lazily: every sentence's
    terms, then the sentences that mention the query's."""
    from whoosh.highlight import WholeFragmenter, highlight

    from resdir.search import snippets

    text = " ".join(text.replace("\x02", "").replace("\x03", "").split())
    sentences = snippets.SENTENCE_END.split(text) if text else []
    found = [tuple(t for t in map(snippets._term, snippets.TOKEN_RE.findall(s.lower())) if t)
             for s in sentences]
    hits = [s for s, words in zip(sentences, found, strict=True)
            if terms and snippets._mentions(words, terms)]
    chosen = snippets._fit(hits or sentences, limit)
    if not terms or not hits or not marked:
        return chosen
    return highlight(chosen, terms, snippets.ANALYZER, WholeFragmenter(charlimit=None),
                     snippets._MarkFormatter()) or chosen


def test_snippets_read_sentences_lazily_and_say_the_same():
    """A snippet analyses a description's sentences only until it is settled (and the API
    none of a one-sentence description): the same snippet as analysing them all, marked or
    not, whichever sentences mention the words and however long they are (issue 12)."""
    from resdir.search import snippet

    rnd = random.Random(11)
    pool = ["Food pantry open on Tuesdays.", "Bring a bag!", "We help with rent and utility "
            "bills for families in the county who qualify.", "Domestic violence shelter.",
            "Call first?", "Free tax help (in season).", "Walk-ins welcome.",
            "Job training and resume help for adults " + "and youth " * rnd.randint(1, 30)]
    chosen = 0
    for _ in range(400):
        text = "  ".join(rnd.choice(pool) for _ in range(rnd.randint(0, 6)))
        terms = frozenset(rnd.sample(["food", "pantri", "rent", "bill", "bag", "domest_violenc",
                                      "tax", "youth", "call", "zzz"], rnd.randint(0, 3)))
        for marked in (True, False):
            limit = rnd.choice([20, 60, 200, 400])
            got = snippet(text, terms, limit, marked)
            assert got == _eager_snippet(text, terms, limit, marked), (text, terms, limit)
            chosen += "\x02" in got
    assert chosen > 100  # the words were found, and marked, in many of them
