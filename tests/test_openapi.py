"""The OpenAPI document: served, complete (every JSON route), and schemathesis finds no
server error in any operation, with and without real ids and with real bearer tokens."""

from __future__ import annotations

import re
import time

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.definitions import OPENAPI_31

from resdir.directory import models as m
from resdir.extensions import db

PREFIXES = ("/api/v1/", "/hsds/", "/fhir/", "/api/openapi.json")
METHODS = {"get", "put", "post", "patch", "delete"}
# Examples per operation and mode. Bounded and derandomized: the run is the same every time.
EXAMPLES = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 12}
# Operations an agency's token reaches too (its own listings and referrals).
AGENCY_TOO = {"getMe", "changeCapacity", "listReferrals", "getReferral", "changeReferral",
              "addReferralNote", "getReferralFhir", "putTask", "getTask", "searchTasks",
              "getServiceRequest", "getPatient", "getConsent", "getProcedure",
              "getFhirOrganization", "postProcedure"}


def _shape(path: str) -> str:
    """`/a/<x>/b` and `/a/{y}/b` both become `/a/{}/b`."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def test_the_document_is_served_publicly(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = response.get_json()
    assert doc["openapi"].startswith("3.1")
    # Valid OpenAPI 3.1 (the spec's own schema, as schemathesis ships it), and every schema
    # in it valid JSON Schema 2020-12.
    errors = list(Draft202012Validator(OPENAPI_31).iter_errors(doc))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)  # raises, naming the fault
    assert doc["components"]["securitySchemes"]["bearer"] == {
        **doc["components"]["securitySchemes"]["bearer"], "type": "http", "scheme": "bearer"}
    error = doc["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert {"status", "title", "message", "parameter"} <= set(
        error["properties"]["error"]["properties"])


def test_every_json_route_is_documented_and_nothing_else(app):
    doc = app.test_client().get("/api/openapi.json").get_json()
    routes = {(method.lower(), _shape(rule.rule))
              for rule in app.url_map.iter_rules() if rule.rule.startswith(PREFIXES)
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(method, _shape(path)) for path, item in doc["paths"].items()
                  for method in item if method in METHODS}
    assert routes - documented == set(), "document these routes in resdir/interop/openapi.json"
    assert documented - routes == set(), "the document names routes the app does not have"
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            assert operation.get("operationId") and operation.get("summary"), (method, path)
            codes = set(operation["responses"])
            assert codes & {"200", "201"}, (method, path)
            secured = bool(operation.get("security"))
            assert secured == ("401" in codes), (method, path)
            if operation.get("requestBody") or secured or len(codes) > 1:
                assert codes - {"200", "201"}, (method, path)


@pytest.fixture
def real_ids(app, people):
    """Ids that exist, so that generated requests also reach real records."""
    from resdir.auth.models import User
    from resdir.matching.operations import create_client
    from resdir.referrals.operations import create_referral

    with app.app_context():
        pantry = db.session.query(m.Service).filter_by(name="Hilltop Food Pantry").one()
        coord = db.session.get(User, people.ids["coord_a"])
        client = create_client(coord, {"name": "Ima Testperson", "zip": "15213",
                                       "needs": ["food-insecurity"]})
        referral = create_referral(coord, {
            "client_id": client.id, "service_id": pantry.id, "need": "food-insecurity",
            "consent": {"given": True, "method": "verbal", "scope": "name and need"}})
        food = db.session.query(m.TaxonomyTerm).filter_by(code="food").one()
        return {
            "service_id": pantry.id, "client_id": client.id, "referral_id": referral.id,
            "patient_id": client.id, "consent_id": referral.consent.id,
            "procedure_id": referral.id, "organization_id": pantry.organization_id,
            "/hsds/services/{id}": pantry.id,
            "/hsds/organizations/{id}": pantry.organization_id,
            "/hsds/service_at_locations/{id}": pantry.service_at_locations[0].id,
            "/hsds/taxonomies/{id}": m.CATEGORY_TAXONOMY_ID,
            "/hsds/taxonomy_terms/{id}": food.id,
        }


def _real_path(operation, ids: dict) -> dict:
    names = re.findall(r"\{([^}]+)\}", operation.path)
    return {n: ids.get(n, ids.get(operation.path)) for n in names if n in ids or
            operation.path in ids}


def test_schemathesis_finds_no_server_error(app, people, real_ids):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the document itself is well formed
        operations.append(result.ok())
    # All of them (schemathesis leaves out the document's own path).
    assert len(operations) == sum(len(set(item) & METHODS) for path, item in schema.raw_schema[
        "paths"].items() if path != "/api/openapi.json")
    tokens = {"coordinator": people.bearer("coord_a"), "agency": people.bearer("agency_a")}
    started = time.process_time()
    calls = 0
    for operation in operations:
        op_id = operation.definition.raw["operationId"]
        secured = bool(operation.definition.raw.get("security"))
        roles = [None] if not secured else (
            ["coordinator", "agency"] if op_id in AGENCY_TOO else ["coordinator"])
        real = _real_path(operation, real_ids)
        for mode, count in EXAMPLES.items():
            generated = operation.as_strategy(generation_mode=mode)
            strategy = st.one_of(operation.as_strategy(generation_mode=mode,
                                                       path_parameters=real),
                                 generated) if real else generated

            @given(case=strategy, role=st.sampled_from(roles))
            @settings(max_examples=count, derandomize=True, database=None, deadline=None,
                      suppress_health_check=list(HealthCheck), phases=[
                          hypothesis.Phase.explicit, hypothesis.Phase.generate])
            def check(case, role):
                nonlocal calls
                calls += 1
                response = case.call(headers=tokens.get(role, {}))
                case.validate_response(response, checks=[not_a_server_error])

            try:
                check()
            except hypothesis.errors.Unsatisfiable:
                # Nothing to make invalid (no parameters, or only free strings): fine.
                assert mode == GenerationMode.NEGATIVE, operation.label
    elapsed = time.process_time() - started
    assert calls >= len(operations) * 10
    # A bound per call, so documenting more operations does not eat a fixed budget; CPU
    # time, so a busy machine does not fail it.
    assert elapsed < 0.1 * calls, f"schemathesis took {elapsed:.0f}s for {calls} calls"
