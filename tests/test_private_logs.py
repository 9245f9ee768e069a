"""A failing client write names the field and leaves no client data in the logs (issue 9,
item 7). The invented client below exists only in this file."""

from __future__ import annotations

import logging

import pytest

from resdir.extensions import db
from resdir.matching.models import Client

NAME = "Ottoline Vasquez-Brannagh"
BORN = "1961-02-17"


@pytest.fixture
def all_logs(caplog):
    """Capture every logger, with the SQL engine logging each statement (echo)."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # every statement logged
    return caplog


def test_unknown_care_organization_is_a_400_naming_the_field(app, people, all_logs):
    api = app.test_client()
    response = api.post("/api/v1/clients", headers=people.bearer("admin"), json={
        "name": NAME, "birth_date": BORN, "care_organization_id": "no-such-organization"})
    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == "care_organization_id"
    assert NAME not in all_logs.text and BORN not in all_logs.text
    with app.app_context():
        assert db.session.query(Client).filter_by(name=NAME).count() == 0


def test_a_database_refusal_of_a_client_write_logs_no_client_data(app, people, all_logs):
    """Make the database itself refuse every new client row (a real constraint, as a
    failing disk or a bad migration would), then create one: the answer is a plain 500 and
    neither the statement's parameters nor PostgreSQL's "Failing row contains (...)" detail
    reaches the log."""
    with app.app_context(), db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(
                "ALTER TABLE client ADD CONSTRAINT refuse_all CHECK (false) NOT VALID")
        else:
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse_all BEFORE INSERT ON client "
                "BEGIN SELECT RAISE(ABORT, 'refused by test'); END")
    api = app.test_client()
    response = api.post("/api/v1/clients", headers=people.bearer("coord_a"), json={
        "name": NAME, "birth_date": BORN, "zip": "15213"})
    assert response.status_code == 500
    assert NAME not in response.get_data(as_text=True)
    errors = [r for r in all_logs.records if r.levelno >= logging.ERROR]
    assert errors, "the failure itself is logged"
    assert "INSERT INTO client" in all_logs.text  # the statement, for whoever debugs it
    assert NAME not in all_logs.text and BORN not in all_logs.text
