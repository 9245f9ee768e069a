"""Search behaviour over the six-program directory in tests/data/mini.csv."""

from datetime import UTC, datetime

import pytest

from resdir.directory import index_state, indexing
from resdir.directory import models as m
from resdir.extensions import db


def names(client, **params):
    response = client.get("/api/v1/search", query_string=params)
    assert response.status_code == 200, response.get_json()
    return [r["name"] for r in response.get_json()["results"]]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("food pantry", "Hilltop Food Pantry"),
        ("groceries", "Hilltop Food Pantry"),  # lay word -> food pantry
        ("food stamps", "Hilltop Food Pantry"),  # synonym -> SNAP
        ("rent help", "Emergency Rent Assistance"),  # phrase synonym
        ("evicted", "Emergency Rent Assistance"),  # stemming: evicted ~ eviction? via evict
        ("therapy", "Sliding Scale Counseling"),  # therapists (stem) and counseling
        ("counselling", "Sliding Scale Counseling"),  # British spelling synonym
        ("crisis", "Night Crisis Line"),
        ("pantries", "Hilltop Food Pantry"),  # plural stems to the same word
    ],
)
def test_words_find_the_program(client, mini, q, expected):
    assert expected in names(client, q=q)


@pytest.mark.parametrize(
    "q",
    ['food AND (', "*", '"', "name:", "x" * 10000, "\x00\x01food\x7f", "*1*", "((((", "-",
     "food OR", "ünïcödé", "   ", "🙂 food"],
)
def test_hostile_text_never_errors(client, mini, q):
    response = client.get("/api/v1/search", query_string={"q": q})
    assert response.status_code == 200
    assert isinstance(response.get_json()["total"], int)


def test_query_syntax_is_plain_words(client, mini):
    # "food AND (" means the words food and "and": the pantry is found, nothing breaks.
    assert names(client, q="food AND (") == ["Hilltop Food Pantry"]
    assert names(client, q="name:food") == ["Hilltop Food Pantry"]


def test_typo_is_corrected_and_suggested(client, mini):
    body = client.get("/api/v1/search?q=pantyr").get_json()
    assert body["suggestion"] == "pantry"
    assert body["corrected"] is True
    # The pantry first; the organization's other program matches its name ("... Pantry").
    assert [r["name"] for r in body["results"]][0] == "Hilltop Food Pantry"


def test_no_suggestion_for_known_words(client, mini):
    assert client.get("/api/v1/search?q=food").get_json()["suggestion"] is None


def test_any_word_fallback_when_no_program_has_all(client, mini):
    body = client.get("/api/v1/search?q=food zebra").get_json()
    assert body["matched"] == "any"
    assert "Hilltop Food Pantry" in [r["name"] for r in body["results"]]


def test_radius_and_distance_sort(client, mini):
    # From Oakland (15213): counseling at 0 mi, Hill District ~1.6 mi, Coraopolis ~11 mi.
    body = client.get("/api/v1/search?zip=15213&radius_mi=5&sort=distance").get_json()
    distances = [r["distance_mi"] for r in body["results"]]
    assert distances == sorted(distances)
    assert all(d <= 5 for d in distances)
    assert "Medical Rides and Bus Passes" not in [r["name"] for r in body["results"]]
    wide = names(client, zip="15213", radius_mi=25, status="any")
    assert "Medical Rides and Bus Passes" in wide


def test_lat_lon_instead_of_zip(client, mini):
    assert "Hilltop Food Pantry" in names(client, lat=40.443, lon=-79.985, radius_mi=1)
    assert "Sliding Scale Counseling" not in names(client, lat=40.443, lon=-79.985, radius_mi=1)


def test_category_filter_and_facets_for_the_current_query(client, mini):
    body = client.get("/api/v1/search?q=shelter&category=safety").get_json()
    assert [r["name"] for r in body["results"]] == ["Domestic Violence Shelter"]
    # Facets count the query's matches in every category, the chosen one or not.
    assert body["facets"]["category"]["housing"] == 2
    assert body["facets"]["category"]["safety"] == 1


def test_language_filter(client, mini):
    assert names(client, language="ne") == ["Sliding Scale Counseling"]


def test_age_filter_keeps_programs_without_limits(client, mini):
    adult = names(client, age=30, status="any")
    assert "Sliding Scale Counseling" in adult
    assert "Medical Rides and Bus Passes" not in adult  # 60 and older
    child = names(client, age=10)
    assert "Sliding Scale Counseling" not in child  # 18 and older
    assert "Hilltop Food Pantry" in child


def test_inactive_programs_hidden_unless_asked(client, mini):
    assert "Medical Rides and Bus Passes" not in names(client, q="rides")
    assert "Medical Rides and Bus Passes" in names(client, q="rides", status="temporarily closed")


def test_capacity_filter(client, mini):
    assert names(client, capacity="waitlist") == ["Emergency Rent Assistance"]


@pytest.mark.parametrize(
    ("day", "at", "open_names"),
    [
        ("sat", "11:00", {"Hilltop Food Pantry", "Night Crisis Line"}),
        ("mon", "12:30", {"Sliding Scale Counseling", "Emergency Rent Assistance",
                          "Night Crisis Line"}),  # pantry closed for lunch
        ("tue", "03:00", {"Night Crisis Line", "Domestic Violence Shelter"}),  # overnight span
        ("sun", "15:00", {"Night Crisis Line"}),
    ],
)
def test_open_at_a_given_day_and_time(client, mini, day, at, open_names):
    assert set(names(client, open_day=day, open_time=at)) == open_names


def test_open_now_uses_the_programs_time_zone(app, mini):
    from werkzeug.datastructures import MultiDict

    from resdir.directory.searching import parse, run

    # Thanksgiving 2026, 10:30 in Pittsburgh (15:30 UTC): the pantry has a holiday closure.
    thanksgiving = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)
    monday = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
    with app.test_request_context():
        for moment, expect_pantry in ((thanksgiving, False), (monday, True)):
            result, services = run(parse(MultiDict({"open_now": "1", "q": "pantry"}), now=moment))
            assert ("Hilltop Food Pantry" in [s.name for s in services]) is expect_pantry


def test_results_read_from_database_in_rank_order(client, mini):
    body = client.get("/api/v1/search?q=counseling").get_json()
    assert body["results"][0]["name"] == "Sliding Scale Counseling"
    assert body["results"][0]["organization"]["name"] == "Three Rivers Counseling Collective"


def test_paging(client, mini):
    first = client.get("/api/v1/search?per_page=2&page=1").get_json()
    second = client.get("/api/v1/search?per_page=2&page=2").get_json()
    assert first["total"] == second["total"] == 5
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert len(set(ids)) == 4


def test_confidential_location_has_no_address_and_approximate_distance(client, mini):
    body = client.get("/api/v1/search?q=shelter&zip=15206&radius_mi=5").get_json()
    (shelter,) = [r for r in body["results"] if r["name"] == "Domestic Violence Shelter"]
    assert shelter["address"] is None
    assert shelter["confidential_location"] is True
    # Distance is measured from the ZIP centre, not the real address.
    assert shelter["distance_mi"] == 0.0


def test_a_saved_change_is_searchable_at_once(app, client, mini):
    with app.app_context():
        service = db.session.query(m.Service).filter_by(name="Hilltop Food Pantry").one()
        service.description = "Free groceries and diapers for families."
        indexing.commit()
    assert names(client, q="diapers") == ["Hilltop Food Pantry"]


def test_failed_index_write_stays_in_the_outbox_until_synced(app, client, mini, monkeypatch):
    from resdir.search import SearchIndex

    def broken(self, docs, delete_ids=()):
        raise OSError("disk full")

    with app.app_context():
        monkeypatch.setattr(SearchIndex, "update", broken)
        service = db.session.query(m.Service).filter_by(name="Night Crisis Line").one()
        service.description = "Talk to a counselor about kayaks."
        indexing.commit()  # the data is saved even though the index write failed
        assert index_state.pending_count() == 1
        monkeypatch.undo()
        assert names(client, q="kayaks") == []
        assert indexing.apply_pending() == 1
        assert index_state.pending_count() == 0
    assert names(client, q="kayaks") == ["Night Crisis Line"]


def test_deleted_program_leaves_the_index(app, client, mini):
    with app.app_context():
        service = db.session.query(m.Service).filter_by(name="Night Crisis Line").one()
        db.session.delete(service)
        indexing.commit()
    assert names(client, q="crisis") == []


def test_organization_rename_reaches_its_programs(app, client, mini):
    with app.app_context():
        org = db.session.query(m.Organization).filter_by(name="Coraopolis Rides").one()
        org.name = "Riverside Mobility Partners"
        indexing.commit()
    assert names(client, q="riverside mobility", status="any") == ["Medical Rides and Bus Passes"]


def test_reindex_swaps_in_a_complete_new_index(app, client, mini, runner):
    before = names(client, q="pantry")
    result = runner.invoke(args=["resdir", "reindex"])
    assert result.exit_code == 0, result.output
    assert "indexed 6 programs" in result.output
    assert names(client, q="pantry") == before
    gens = [p.name for p in (app.config and __import__("pathlib").Path(
        app.config["RESDIR_INDEX_DIR"])).glob("gen-*")]
    assert len(gens) == 1  # the old generation was removed after the swap


def test_check_index_reports_and_repairs_drift(app, runner, mini):
    with app.app_context():
        indexing.search_index().update([], delete_ids=[
            db.session.query(m.Service.id).filter_by(name="Hilltop Food Pantry").scalar()
        ])
    result = runner.invoke(args=["resdir", "check-index"])
    assert result.exit_code != 0
    assert "missing: 1" in result.output
    result = runner.invoke(args=["resdir", "check-index", "--repair"])
    assert "repaired 1" in result.output
    assert runner.invoke(args=["resdir", "check-index"]).exit_code == 0


def test_factory_program_is_searchable(client, make_service):
    make_service("Tax Help Clinic", description="Free tax preparation", categories=("financial",))
    assert names(client, q="taxes") == ["Tax Help Clinic"]


def _settle(app):
    """Date the index folders' modification times 10 s back, as they are once no write has
    happened for a while: SearchIndex then trusts them instead of re-reading the index's
    table of contents on every search."""
    import os
    from pathlib import Path

    root = Path(app.config["RESDIR_INDEX_DIR"])
    for folder in (root, *root.glob("gen-*")):
        when = folder.stat().st_mtime - 10
        os.utime(folder, (when, when))


def test_repeated_search_is_answered_again_until_the_index_changes(app, twin, client, mini):
    query = {"q": "pantry", "zip": "15213"}
    first = client.get("/api/v1/search", query_string=query)
    assert first.headers["X-Search-Cache"] == "miss"
    _settle(app)
    again = client.get("/api/v1/search", query_string=query)
    assert again.headers["X-Search-Cache"] == "hit"
    assert again.get_data() == first.get_data()
    assert again.get_json()["results"][0]["capacity"] != "waitlist"
    # Another worker of this node saves a change: this worker's next answer has it.
    with twin.app_context():
        service = db.session.query(m.Service).filter_by(name="Hilltop Food Pantry").one()
        service.capacity_status = "waitlist"
        indexing.commit()
    after = client.get("/api/v1/search", query_string=query)
    assert after.headers["X-Search-Cache"] == "miss"
    assert after.get_json()["results"][0]["capacity"] == "waitlist"
    # Parameters in another order are the same question; open_now depends on the moment.
    swapped = client.get("/api/v1/search?zip=15213&q=pantry")
    assert swapped.headers["X-Search-Cache"] == "hit"
    assert swapped.get_data() == after.get_data()
    assert "X-Search-Cache" not in client.get("/api/v1/search?q=pantry&open_now=1").headers


def test_a_settled_index_still_sees_another_workers_write(app, twin, client, mini):
    assert names(client, q="kayaks", status="any") == []
    _settle(app)
    assert names(client, q="kayaks", status="any") == []
    with twin.app_context():
        service = db.session.query(m.Service).filter_by(name="Night Crisis Line").one()
        service.description = "Talk to a counselor about kayaks."
        indexing.commit()
    assert names(client, q="kayaks", status="any") == ["Night Crisis Line"]
