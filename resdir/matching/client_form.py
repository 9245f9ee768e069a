"""The client page's facts form, saved field by field.

The form shows every fact, but a save sends `update_client` only the fields the user
changed, told apart by a fingerprint of each field as the form showed it (hidden
`seen_<field>` inputs). So a save never writes back what the user did not touch, and after
a conflict (someone else saved the client first) the form comes back with this user's
changes kept over the current record at the current version: saving again applies exactly
those changes and undoes nobody else's.
"""

from __future__ import annotations

import hashlib
import json

from flask import g

from resdir.matching.contact import CONTACT_FIELDS
from resdir.matching.models import Client

# The facts the form asks for: text inputs, then yes/no/unknown choices.
FACT_INPUTS = ("zip", "state", "age", "birth_date", "household_size", "annual_income",
               "languages", "insurance", "gender")
FACT_FLAGS = ("veteran", "pregnant", "disability")
FIELDS = ("name", *FACT_INPUTS, *FACT_FLAGS, *CONTACT_FIELDS, "needs")


def _canonical(name: str, value):
    """One spelling per meaning: 24000 and 24000.0, "" and None, "pa" and "PA"."""
    if value in (None, "", []):
        return None
    if name in ("annual_income", "age", "household_size") and not isinstance(value, bool):
        try:
            return float(value)
        except (TypeError, ValueError):
            return str(value)
    if name == "needs":
        return sorted(value)
    if name == "state" and isinstance(value, str):
        return value.strip().upper()
    if isinstance(value, str):
        return value.strip()
    return value


def fingerprint(name: str, value) -> str:
    text = json.dumps(_canonical(name, value), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def shown(client: Client) -> dict:
    """Each field's value as the form shows it (API-shaped facts)."""
    out = {"name": client.name or None}
    out.update({k: client.facts.get(k) for k in (*FACT_INPUTS, *FACT_FLAGS)})
    out.update({k: (client.contact or {}).get(k) for k in CONTACT_FIELDS})
    if client.facts.get("birth_date"):
        out["age"] = None  # the form shows the birth date, not the age derived from it
    out["needs"] = [n.code for n in client.needs if n.source == "selected"]
    return out


def changes(client: Client, sent: dict, seen: dict) -> dict:
    """The fields of `sent` (API-shaped) the user changed: against what the form showed
    when it carries fingerprints, else against the record as it is."""
    now = shown(client)
    out = {}
    for name in FIELDS:
        before = seen.get(name) or fingerprint(name, now[name])
        if fingerprint(name, sent.get(name)) != before:
            out[name] = sent.get(name)
    return out


def keep_after_error(client: Client, mine: dict, error) -> None:
    """Show the form again with the user's changes over the record as it is now."""
    g.client_edit = {"mine": mine, "error": error}


def edit_state(client: Client) -> dict:
    """What the template shows: values, chosen needs, fingerprints, error (template global)."""
    kept = g.get("client_edit") or {"mine": {}, "error": None}
    now = shown(client)
    values = {**now, **kept["mine"]}
    return {
        "values": {k: v for k, v in values.items() if k != "needs" and v is not None},
        "chosen": values["needs"] or [],
        "seen": {k: fingerprint(k, now[k]) for k in FIELDS},
        "error": kept["error"],
        "mine": set(kept["mine"]),
    }
