"""A rebuild's shortcuts give Whoosh's own answers: analysed terms, document lengths, and an
index written in segments searches like one written at once."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.codec import whoosh3

from resdir.search import SearchIndex, SearchRequest, writing
from resdir.search.lexicon import MULTIWORD
from resdir.search.schema import ANALYZER, Terms

WORDS = sorted({w for p in MULTIWORD for w in p.split()}) + [
    "food", "U.S.", "co-op", "İstanbul", "naïve", "ÉCOLE", "3.5", "the", "a", "x", "riding",
    "rent", "ﬁle", "e.g", "_", "Children's",
]


def whoosh_terms(text: str) -> Counter:
    return Counter(t.text for t in ANALYZER(text, mode="index") if not t.stopped)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=8)), max_size=25),
       st.sampled_from([" ", ", ", ". ", "-", "  "]))
def test_terms_are_the_analyzers(words, separator):
    text = separator.join(words)
    terms = Terms()
    assert Counter(terms(text)) == whoosh_terms(text)
    assert Counter(terms(text)) == whoosh_terms(text)  # from the word cache


def docs(n: int, offset: int = 0):
    from tests.test_search_engine import corpus

    return corpus(n, seed=4)[offset:]


@pytest.fixture
def built(tmp_path, monkeypatch):
    """The same 60 programs indexed at once and in segments of 25."""
    whole = SearchIndex(tmp_path / "whole")
    whole.rebuild(docs(60))
    monkeypatch.setattr(writing, "SEGMENT_DOCS", 25)
    parts = SearchIndex(tmp_path / "parts")
    assert parts.rebuild(docs(60)) == 60
    yield whole, parts
    whole.close()
    parts.close()


def test_document_lengths_are_whooshs(built):
    _, parts = built
    original = whoosh3.W3PerDocReader._resdir_original_lengths
    with parts.using_view() as view:
        leaves = [leaf for leaf, _ in view.reader.leaf_readers()]
        for leaf in leaves:
            perdoc = leaf._perdoc
            for field in ("content", "title", "category", "nonexistent"):
                for docnum in range(perdoc.doc_count_all()):
                    assert perdoc.doc_field_length(docnum, field, 7) == original(
                        perdoc, docnum, field, 7), (field, docnum)


def test_an_index_written_in_segments_searches_like_one_written_at_once(built):
    whole, parts = built
    with parts.using_view() as view:
        assert len(list(view.reader.leaf_readers())) == 3  # 25 + 25 + 10
    assert whole.stamps() == parts.stamps()
    for text in ("", "food", "food pantry", "rent help", "legal aid", "dental"):
        request = SearchRequest(text=text, per_page=100, statuses=[])
        a, b = whole.search(request), parts.search(request)
        assert a.total == b.total and a.facets == b.facets
        assert {h.id: round(h.score, 9) for h in a.hits} == {
            h.id: round(h.score, 9) for h in b.hits}


def test_an_exact_multiple_of_the_segment_size_and_an_empty_build(tmp_path, monkeypatch):
    monkeypatch.setattr(writing, "SEGMENT_DOCS", 20)
    index = SearchIndex(tmp_path / "ix")
    assert index.rebuild(docs(40)) == 40
    assert len(index.stamps()) == 40
    assert index.rebuild([]) == 0
    assert index.stamps() == {} and index.exists()
    index.close()
