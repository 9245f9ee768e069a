"""The HSDS 3.0 read API under /hsds/: envelope, filters (AND), search, postcode and
proximity, taxonomies, bad parameters, and no confidential address anywhere."""

from __future__ import annotations

import json

import pytest

from resdir.directory import indexing
from resdir.directory import models as m
from resdir.extensions import db
from resdir.interop.hsds_export import service_obj
from resdir.interop.hsds_export_context import Context
from resdir.interop.hsds_extensions import stable_id
from tests.test_hsds_export import validate

ENVELOPE = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page",
            "empty", "contents"}
INCOME_TERM = stable_id("term", "resdir-eligibility:income_limit_fpl")


def _get(client, url: str, status: int = 200) -> dict:
    response = client.get(url)
    assert response.status_code == status, (url, response.get_data(as_text=True))
    assert response.mimetype == "application/json"
    return response.get_json()


def _names(body: dict) -> list[str]:
    assert set(body) == ENVELOPE
    return [c["name"] if "name" in c else c["service"]["name"] for c in body["contents"]]


def _ids(app) -> dict[str, str]:
    with app.app_context():
        services = {s.name: s for s in db.session.query(m.Service)}
        terms = {t.code: t.id for t in db.session.query(m.TaxonomyTerm)}
        return {"pantry": services["Hilltop Food Pantry"].id,
                "rent": services["Emergency Rent Assistance"].id,
                "shelter": services["Domestic Violence Shelter"].id,
                "pantry_org": services["Hilltop Food Pantry"].organization_id,
                "counseling_org": services["Sliding Scale Counseling"].organization_id,
                "food": terms["food"], "housing": terms["housing"],
                "mental_health": terms["mental-health"]}


def test_root_says_version_profile_and_openapi(client):
    body = _get(client, "/hsds/")
    assert body["version"].startswith("3.0")
    assert body["profile"].startswith("https://")
    assert body["openapi_url"].endswith("/api/openapi.json")
    assert client.get(body["openapi_url"]).status_code == 200


def test_services_page_through_the_envelope(mini, client):
    first = _get(client, "/hsds/services?per_page=4")
    assert (first["total_items"], first["total_pages"], first["page_number"], first["size"],
            first["first_page"], first["last_page"], first["empty"]) == (6, 2, 1, 4, True,
                                                                          False, False)
    second = _get(client, "/hsds/services?per_page=4&page=2")
    assert (second["size"], second["first_page"], second["last_page"]) == (2, False, True)
    assert len(set(_names(first) + _names(second))) == 6
    for item in first["contents"] + second["contents"]:
        validate("service", item)
        assert "service_at_locations" not in item and item["organization"]["name"]
    beyond = _get(client, "/hsds/services?per_page=4&page=3")
    assert (beyond["contents"], beyond["empty"]) == ([], False)
    minimal = _get(client, "/hsds/services?minimal=true&per_page=100")["contents"]
    assert len(minimal) == 6 and all(set(c) == {"id", "last_modified"} for c in minimal)
    full = _get(client, "/hsds/services?full=true")["contents"]
    assert all("service_at_locations" in c for c in full)


def test_one_service_in_full_is_the_exported_object(mini, client):
    ids = _ids(mini)
    body = _get(client, f"/hsds/services/{ids['rent']}")
    validate("service", body)
    with mini.app_context():
        service = db.session.get(m.Service, ids["rent"])
        assert body == json.loads(json.dumps(service_obj(service, Context([service]))))
    codes = {a["taxonomy_term"]["code"]: a.get("value") for a in body["attributes"]}
    assert codes["resdir-eligibility:income_limit_fpl"] == "200"
    assert codes["housing"] is None and codes["resdir-capacity:status"] == "waitlist"
    assert _get(client, "/hsds/services/no-such-id", 404)["error"]["status"] == 404


def test_filters_combine_with_and(mini, client):
    ids = _ids(mini)
    assert _names(_get(client, f"/hsds/services?organization_id={ids['pantry_org']}")) == [
        "Emergency Rent Assistance", "Hilltop Food Pantry"]
    assert _names(_get(client, f"/hsds/services?taxonomy_term_id={ids['housing']}")) == [
        "Domestic Violence Shelter", "Emergency Rent Assistance"]
    assert _names(_get(client, f"/hsds/services?taxonomy_term_id={ids['housing']}"
                               f"&organization_id={ids['pantry_org']}")) == [
        "Emergency Rent Assistance"]
    assert _names(_get(client, f"/hsds/services?taxonomy_term_id={INCOME_TERM}")) == [
        "Emergency Rent Assistance"]
    taxonomy = m.CATEGORY_TAXONOMY_ID
    assert _get(client, f"/hsds/services?taxonomy_id={taxonomy}")["total_items"] == 6
    capacity = stable_id("taxonomy", "resdir-capacity")
    assert len(_names(_get(client, f"/hsds/services?taxonomy_id={capacity}"))) == 4
    assert _names(_get(client, f"/hsds/services?taxonomy_id={capacity}"
                               f"&organization_id={ids['counseling_org']}")) == [
        "Sliding Scale Counseling"]
    assert _get(client, "/hsds/services?modified_after=2000-01-01T00:00:00Z")["total_items"] == 6
    assert _get(client, "/hsds/services?modified_after=2999-01-01")["empty"] is True
    assert _get(client, "/hsds/services?taxonomy_term_id=nothing")["empty"] is True


def test_search_is_the_full_text_search(mini, client):
    ids = _ids(mini)
    assert _names(_get(client, "/hsds/services?search=groceries")) == ["Hilltop Food Pantry"]
    counseling = _names(_get(client, "/hsds/services?search=counselor%20crisis"))
    assert counseling[0] == "Night Crisis Line"
    assert _get(client, f"/hsds/services?search=groceries&organization_id="
                        f"{ids['counseling_org']}")["empty"] is True
    assert _names(_get(client, "/hsds/service_at_locations?search=groceries")) == [
        "Hilltop Food Pantry"]
    assert _get(client, "/hsds/services?search=zzzqqqxxx")["total_items"] == 0


@pytest.mark.parametrize(("query", "parameter"), [
    ("/hsds/services?page=0", "page"), ("/hsds/services?page=two", "page"),
    ("/hsds/services?per_page=100000", "per_page"), ("/hsds/services?full=maybe", "full"),
    ("/hsds/services?minimal=2", "minimal"), ("/hsds/services?format=xml", "format"),
    ("/hsds/services?modified_after=yesterday", "modified_after"),
    ("/hsds/service_at_locations?postcode=ABCDE", "postcode"),
    ("/hsds/service_at_locations?postcode=00000", "postcode"),
    ("/hsds/service_at_locations?postcode=15213&proximity=-5", "proximity"),
    ("/hsds/service_at_locations?postcode=15213&proximity=near", "proximity"),
    ("/hsds/service_at_locations?proximity=500", "proximity"),
    ("/hsds/organizations?full_service=sometimes", "full_service"),
    ("/hsds/taxonomy_terms?top_only=perhaps", "top_only"),
    ("/hsds/taxonomies?per_page=0", "per_page"),
])
def test_a_bad_parameter_is_a_400_naming_it(client, query, parameter):
    error = _get(client, query, 400)["error"]
    assert error["parameter"] == parameter and error["message"]


def test_postcode_and_proximity(app, make_service, client):
    near = make_service("Oakland Pantry", lat=40.4442, lon=-79.9557, zip_code="15213")
    make_service("Wexford Pantry", lat=40.6120, lon=-80.0649, zip_code="15090")
    zips_only = make_service("Only 15213", lat=40.6120, lon=-80.0649, zip_code="15090")
    with app.app_context():
        service = db.session.get(m.Service, zips_only)
        service.service_areas = [m.ServiceArea(kind="postal_codes", extent="15213;15217")]
        indexing.commit()
    body = _get(client, "/hsds/service_at_locations?postcode=15213&proximity=2000")
    assert _names(body) == ["Oakland Pantry"]
    assert body["contents"][0]["service_id"] == near
    far = _get(client, "/hsds/service_at_locations?postcode=15213&proximity=30000")
    assert _names(far) == ["Oakland Pantry", "Only 15213", "Wexford Pantry"]  # nearest first
    # Without proximity: the service areas decide; programs without one are not limited.
    assert _names(_get(client, "/hsds/service_at_locations?postcode=15213")) == [
        "Oakland Pantry", "Only 15213", "Wexford Pantry"]
    assert _names(_get(client, "/hsds/service_at_locations?postcode=15090")) == [
        "Oakland Pantry", "Wexford Pantry"]
    item = body["contents"][0]
    assert set(item) >= {"id", "service_id", "location_id", "location", "service"}
    validate("service_at_location", item)


def test_confidential_addresses_never_appear(app, make_service, client):
    # Really 30 m from the 15213 centre, but its ZIP (15206) is 3 miles away: proximity
    # measures it from 15206's centre, so a search around 15213 cannot find its place.
    sid = make_service("Hidden Shelter", confidential=True, lat=40.4441, lon=-79.9555,
                       zip_code="15206")
    with app.app_context():
        service = db.session.get(m.Service, sid)
        location, org_id = service.locations[0], service.organization_id
        street = location.address.address_1
    bodies = [client.get(url).get_data(as_text=True) for url in (
        f"/hsds/services/{sid}", "/hsds/services?full=true", f"/hsds/organizations/{org_id}",
        "/hsds/organizations?full=true&full_service=true", "/hsds/service_at_locations",
        "/hsds/service_at_locations?full=true", "/hsds/service_at_locations?postcode=15206",
        f"/hsds/service_at_locations/{_sal(app, sid)}")]
    for text in bodies:
        assert street not in text and "40.4441" not in text and "-79.9555" not in text
    assert _get(client, "/hsds/service_at_locations?postcode=15213&proximity=1000")[
        "empty"] is True
    assert _names(_get(client, "/hsds/service_at_locations?postcode=15206&proximity=500")) == [
        "Hidden Shelter"]
    location = _get(client, f"/hsds/services/{sid}")["service_at_locations"][0]["location"]
    assert location["addresses"] == [] and "latitude" not in location


def _sal(app, service_id: str) -> str:
    with app.app_context():
        return db.session.get(m.Service, service_id).service_at_locations[0].id


def test_organizations(mini, client):
    ids = _ids(mini)
    listing = _get(client, "/hsds/organizations")
    assert listing["total_items"] == 4
    for org in listing["contents"]:
        validate("organization", org)
        assert "locations" not in org
    assert _names(_get(client, "/hsds/organizations?search=PANTRY")) == [
        "Hilltop Community Pantry"]
    org = _get(client, f"/hsds/organizations/{ids['pantry_org']}")
    validate("organization", org)
    assert sorted(s["name"] for s in org["services"]) == ["Emergency Rent Assistance",
                                                          "Hilltop Food Pantry"]
    assert org["locations"][0]["addresses"][0]["address_1"] == "100 Centre Ave"
    assert "service_at_locations" not in org["services"][0]
    deep = _get(client, f"/hsds/organizations/{ids['pantry_org']}?full_service=true")
    assert all("service_at_locations" in s for s in deep["services"])
    _get(client, "/hsds/organizations/nope", 404)


def test_taxonomies_and_terms(mini, client):
    ids = _ids(mini)
    taxonomies = _get(client, "/hsds/taxonomies")["contents"]
    names = {t["name"] for t in taxonomies}
    assert {"resdir categories", "resdir-eligibility", "resdir-capacity"} <= names
    for taxonomy in taxonomies:
        validate("taxonomy", taxonomy)
    categories = _get(client, f"/hsds/taxonomy_terms?per_page=100"
                              f"&taxonomy_id={m.CATEGORY_TAXONOMY_ID}")
    assert ids["food"] in {t["id"] for t in categories["contents"]}
    assert all(t["taxonomy"] == "resdir categories" for t in categories["contents"])
    for term in categories["contents"]:
        validate("taxonomy_term", term)
    term = _get(client, f"/hsds/taxonomy_terms/{INCOME_TERM}")
    assert term["code"] == "resdir-eligibility:income_limit_fpl"
    assert _get(client, f"/hsds/taxonomies/{term['taxonomy_id']}")["name"] == (
        "resdir-eligibility")
    found = _get(client, "/hsds/taxonomy_terms?search=poverty")["contents"]
    assert [t["code"] for t in found] == ["resdir-eligibility:income_limit_fpl"]
    top = _get(client, "/hsds/taxonomy_terms?top_only=true&per_page=100")
    assert top["total_items"] == _get(client, "/hsds/taxonomy_terms")["total_items"]
    _get(client, "/hsds/taxonomy_terms/nope", 404)
    _get(client, "/hsds/taxonomies/nope", 404)
