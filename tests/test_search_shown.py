"""The API's search results come from the index (each program's stored result document,
written by the change-log path that writes the rest of its document): no database reads,
and exactly as fresh as the search that finds them, on every node."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from resdir import create_app
from resdir.directory import indexing
from resdir.directory import models as m
from resdir.directory.documents import documents
from resdir.extensions import db

PANTRY = {"q": "pantry", "zip": "15219", "radius_mi": "3"}


def _result(client, name: str, **params) -> dict | None:
    body = client.get("/api/v1/search", query_string=params).get_json()
    return next((r for r in body["results"] if r["name"] == name), None)


@pytest.fixture
def node_b(app, tmp_path):
    """A second node: the same database, its own index folder (built now)."""
    other = create_app({**app.config, "RESDIR_INDEX_DIR": str(tmp_path / "index-b")})
    with other.app_context():
        indexing.reindex()
    yield other
    with other.app_context():
        indexing.search_index().close()
        db.session.remove()
        db.engine.dispose()


def test_an_anonymous_api_search_reads_nothing_from_the_database(app, client, mini):
    client.get("/api/v1/search", query_string=PANTRY)  # the index opened, caches warm
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        body = client.get("/api/v1/search", query_string={**PANTRY, "q": "groceries"}
                          ).get_json()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    (first,) = [r for r in body["results"] if r["name"] == "Hilltop Food Pantry"]
    assert first["phone"] == "412-555-0101" and first["address"].startswith("100 Centre Ave")
    assert statements == []


def test_an_edit_reaches_a_second_nodes_results_when_its_index_applies_the_log(
        app, client, mini, node_b):
    pantry_on_b = node_b.test_client()
    before = _result(pantry_on_b, "Hilltop Food Pantry", **PANTRY)
    assert (before["organization"]["name"], before["phone"], before["address"]) == (
        "Hilltop Community Pantry", "412-555-0101", "100 Centre Ave, Pittsburgh, PA 15219")
    with app.app_context():  # saved through node A (its own index is written at commit)
        service = db.session.query(m.Service).filter_by(name="Hilltop Food Pantry").one()
        service.organization.name = "Hilltop Neighbors Pantry"
        service.phones[0].number = "412-555-0177"
        service.locations[0].addresses[0].address_1 = "200 Centre Ave"
        service.capacity_status = "waitlist"
        indexing.commit()
    edited = ("Hilltop Neighbors Pantry", "412-555-0177",
              "200 Centre Ave, Pittsburgh, PA 15219", "waitlist")
    shown = lambda r: (r["organization"]["name"], r["phone"], r["address"], r["capacity"])  # noqa: E731
    assert shown(_result(client, "Hilltop Food Pantry", **PANTRY)) == edited
    # Node B has not applied the log yet: its results agree with what its search matches
    # (the old organization name finds the program, the new one does not). A radius not
    # asked before: not an answer node B kept.
    assert _result(pantry_on_b, "Hilltop Food Pantry", **{**PANTRY, "q": "neighbors"}) is None
    assert shown(_result(pantry_on_b, "Hilltop Food Pantry", **{**PANTRY, "radius_mi": "4"})
                 )[:3] == ("Hilltop Community Pantry", "412-555-0101",
                           "100 Centre Ave, Pittsburgh, PA 15219")
    with node_b.app_context():
        indexing.catch_up()  # what node B's sync thread does on its next poll
    assert shown(_result(pantry_on_b, "Hilltop Food Pantry", **{**PANTRY, "q": "neighbors"})
                 ) == edited
    assert shown(_result(pantry_on_b, "Hilltop Food Pantry", **PANTRY)) == edited


def test_a_document_written_without_a_result_document_is_shown_from_the_database(
        app, client, mini):
    """A document written by something other than documents.document_for (a tool, an
    older writer) still shows the program in full."""
    expected = _result(client, "Hilltop Food Pantry", **PANTRY)
    with app.app_context():
        (doc,) = documents([expected["id"]], app.config["RESDIR_DEFAULT_TIMEZONE"])
        doc.shown = ""
        indexing.search_index().update([doc])
    assert _result(client, "Hilltop Food Pantry", **PANTRY) == expected


def test_search_answers_are_jsonify_byte_for_byte(app, client, mini):
    """The search API writes its answers with orjson only where that gives jsonify's very
    bytes (issue 12); anything else (non-ASCII, DEL, dates, debug) still goes to jsonify."""
    from datetime import date

    from flask import jsonify

    from resdir.directory.api import search_json

    answer = client.get("/api/v1/search", query_string=PANTRY).get_json()
    assert answer["results"]
    result = answer["results"][0]
    variants = [answer] + [
        {**answer, "results": [{**result, **change}]} for change in (
            {"name": "Café Niño — ayuda"}, {"name": "Tab\there\x01\x1f"}, {"name": "del\x7f"},
            {"distance_mi": 0.0}, {"distance_mi": 0.01}, {"distance_mi": 12345.67},
            {"last_verified": date(2026, 1, 5)}, {"categories": []})]
    with app.test_request_context():
        for variant in variants:
            ours, theirs = search_json(variant), jsonify(variant)
            assert ours.get_data() == theirs.get_data()
            assert ours.mimetype == theirs.mimetype
        app.debug = True
        try:
            assert search_json(answer).get_data() == jsonify(answer).get_data()
        finally:
            app.debug = False
