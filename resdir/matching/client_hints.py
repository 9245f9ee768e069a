"""A coordinator's client on the directory's search page (`?client=<id>`, from the client's
page): the client, read and audited like any read of it, and each result's eligibility chip.

The search page is the directory's, and the directory sits below matching (matching reads
its programs), so the page does not import this module: matching.init_app hands it to the
page as `app.extensions["client_hints"]`.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from resdir.directory import models as m
from resdir.extensions import db
from resdir.matching import operations as matching
from resdir.matching.eligibility import LOAD_OPTIONS, evaluate
from resdir.matching.poverty import percent_of_poverty


def client_context(user, client_id: str | None):
    """(client, facts) when a signed-in coordinator searches for one of their clients (the
    read is audited and refused like any other read of the client); (None, None) else."""
    client_id = (client_id or "").strip()
    if not client_id:
        return None, None
    client = matching.get_client(user, client_id[:36])
    return client, matching.facts_of(client)


def eligibility_hints(ids: list[str], facts) -> dict[str, dict]:
    """Each program's structured rules against the client's facts, as a chip (status and
    one line), by id; nothing without a client."""
    if facts is None or not ids:
        return {}
    today = date.today()
    out = {}
    for service in db.session.scalars(
            select(m.Service).where(m.Service.id.in_(ids)).options(*LOAD_OPTIONS)):
        verdict = evaluate(service, facts, percent_of_poverty, today)
        out[service.id] = {"status": verdict.status, "text": verdict.summary}
    return out
