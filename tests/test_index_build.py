"""A rebuild's shortcuts give Whoosh's own answers: analysed terms, document lengths, and an
index written in segments searches like one written at once."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index
from whoosh.codec import whoosh3

from resdir.search import Document, SearchIndex, SearchRequest, writing
from resdir.search.builder import SegmentBuilder
from resdir.search.lexicon import MULTIWORD
from resdir.search.schema import ANALYZER, Terms, make_schema

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


def varied_docs(n: int) -> list[Document]:
    """Programs with every kind of field value a rebuild writes: long and empty texts,
    repeated words and known phrases (terms over several 128-posting blocks), accents,
    languages, ages, hours with closures, several points, a missing organization."""
    rnd = random.Random(11)
    phrases = sorted(MULTIWORD)
    out = []
    for i, doc in enumerate(docs(n)):
        # Some long texts: Whoosh stores lengths over ~100 words approximately.
        words = rnd.choices(WORDS, k=rnd.choice([0, 5, 30, 200, 900])) + rnd.sample(phrases, 2)
        week = [(540 + 1440 * d, 1020 + 1440 * d) for d in range(rnd.randint(0, 5))]
        out.append(dataclasses.replace(
            doc, text=" ".join(words) + " " + doc.text, name=doc.name if i % 9 else "",
            organization=doc.organization if i % 13 else "",
            terms=rnd.sample(["Food Pantries", "Rent Assistance", "Écoles"], rnd.randint(0, 2)),
            languages=sorted(rnd.sample(["en", "es", "zh", "vi"], rnd.randint(0, 3))),
            status=rnd.choice(["active", "active", "inactive", "temporarily closed"]),
            capacity=rnd.choice([None, "available", "waitlist"]),
            minimum_age=rnd.choice([None, 0, 18, 62]), maximum_age=rnd.choice([None, 17, 64]),
            points=doc.points * rnd.randint(0, 2),
            open_minutes=rnd.choice([None, [], week]),
            closures=[("2026-12-24", "2026-12-26")] if i % 7 == 0 else [],
            verified=rnd.choice([None, "2026-01-05"]),
        ))
    return out


def segment_files(folder: Path) -> dict[str, bytes]:
    """The index's files by kind (segment names are random; the TOC names them)."""
    files = {}
    segment = next(folder.glob("MAIN_*.pst")).name.split(".")[0]
    for path in sorted(folder.iterdir()):
        if path.name.endswith("WRITELOCK"):
            continue
        files[path.name.replace(segment, "SEGMENT")] = path.read_bytes().replace(
            segment.removeprefix("MAIN_").encode(), b"SEGMENT")
    return files


def test_the_segment_builder_writes_the_files_whooshs_writer_writes(tmp_path):
    """builder.SegmentBuilder (a rebuild's writer) against Whoosh's add_document and commit
    with the same documents: every file the same bytes (postings, term table, stored fields,
    lengths, columns, TOC, word list)."""
    documents = varied_docs(400)
    for name in ("whoosh", "builder"):
        (tmp_path / name).mkdir()
        ix = whoosh_index.create_in(str(tmp_path / name), make_schema())
        writer = ix.writer(compound=False)  # separate files, to compare one by one
        if name == "whoosh":
            writing.write_committed(writer, documents, tmp_path / name, merge=False)
        else:
            built = SegmentBuilder(writer)
            writing._add_all(built.add, documents, tmp_path / name)
            built.commit(merge=False)
        ix.close()
    ours, theirs = segment_files(tmp_path / "builder"), segment_files(tmp_path / "whoosh")
    assert sorted(ours) == sorted(theirs)
    assert len(ours) >= 9  # postings, terms, TOC, words, stored, two lengths, two columns
    for name in ours:
        assert ours[name] == theirs[name], name


def test_the_segment_builder_refuses_what_it_cannot_write(tmp_path):
    from whoosh import fields

    ix = whoosh_index.create_in(str(tmp_path), fields.Schema(
        id=fields.ID(stored=True), body=fields.TEXT(phrase=True)))
    writer = ix.writer()
    with pytest.raises(TypeError, match="body"):
        SegmentBuilder(writer)  # positions
    writer.cancel()
    ix = whoosh_index.create_in(str(tmp_path), make_schema())
    built = SegmentBuilder(ix.writer())
    with pytest.raises(ValueError, match="colour"):
        built.add({"id": "p1", "colour": "red"})
    built.cancel()
