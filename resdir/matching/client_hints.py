"""A coordinator's client on the directory's search page (`?client=<id>`, from the client's
page): the client, read and audited like any read of it, and each result's eligibility chip.

The search page is the directory's, and the directory sits below matching (matching reads
its programs), so the page does not import this module: matching.init_app hands it to the
page as `app.extensions["client_hints"]`.
"""

from __future__ import annotations

from datetime import date

from resdir.directory.facts_query import load_facts
from resdir.matching import operations as matching
from resdir.matching.eligibility import evaluate
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
    for program in load_facts(ids).values():
        verdict = evaluate(program, facts, percent_of_poverty, today)
        out[program.id] = {"status": verdict.status, "text": verdict.summary}
    return out
