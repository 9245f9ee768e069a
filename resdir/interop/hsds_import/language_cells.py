"""Language cells: lists ("Spanish, French.", "English and Spanish", "Creole (limited)")
become one language row each; a note about interpreters in them ("Language line
available") goes to the programs' `interpretation_services` instead."""

from __future__ import annotations

import re

from resdir.interop.hsds_import.clean import Cleaner, ids
from resdir.interop.hsds_import.plan import Plan
from resdir.interop.hsds_import.tables import Rec
from resdir.languages import language_code

# "Spanish, French.", "English. Spanish", "Spanish and German", "Creole/French"
_LANGUAGE_LIST = re.compile(r"\s*(?:[,;/&+\n]|\\n|\.(?:\s+|$)|\s(?:and|or|y)\s)\s*", re.I)
_BRACKETS = re.compile(r"\([^)]*\)?")
_LEADING = re.compile(r"^(?:and|or|also|limited)\s+", re.I)
# Words of a note about interpreters rather than a language ("Language Line",
# "accommodations possible", "all languages via teleinterpreter")
_NOTE_WORDS = ("interpret", "language line", "translat", "accommodat", "available", "request",
               "via ", "upon", "possible", "all language", "other language", "as needed",
               "staff", "volunteer", "tdd", "tty", "relay")


def read(rec: Rec, clean: Cleaner, plan: Plan) -> list[dict]:
    """The languages a language row names (none when it names none we know: reported)."""
    given = rec.get("code") or rec.get("name") or rec.get("language")
    if not given:
        clean.skipped(rec, "name", "no language named")
        return []
    field = "language" if "language" in rec.data else "name"
    # remarks in brackets ("Spanish (limited)", "(dependent on location and need)") go
    parts = [given] if rec.get("code") else [
        _LEADING.sub("", p.strip(" .")) for p in _LANGUAGE_LIST.split(_BRACKETS.sub(" ", given))
        if _LEADING.sub("", p.strip(" ."))]
    low = given.lower()
    if not rec.get("code") and any(w in low for w in _NOTE_WORDS):
        _interpretation_note(plan, rec, clean, field, given.strip())
        parts = [p for p in parts if language_code(p)]
    out = []
    for part in parts:
        code = language_code(part)
        if code is None:
            clean.skipped(rec, field, f"unknown language {part.strip()!r}")
            continue
        name = rec.get("name") if rec.get("code") else part.strip()
        out.append(dict(code=code, name=(name or None) and name[:100],
                        note=clean.text(rec, "note")))
    return out


def _interpretation_note(plan: Plan, rec: Rec, clean: Cleaner, field: str, note: str) -> None:
    """An interpreter note in a language cell goes to the programs' interpretation_services
    (a location's note to the programs there), not into the void."""
    services = [k for k in ids(rec, "service_id", clean) if k in plan.services]
    if not services:
        locations = set(ids(rec, "location_id", clean))
        services = [k for k, s in plan.services.items() if locations & set(s.location_ids)]
    for key in services:
        values = plan.services[key].values
        current = values.get("interpretation_services") or ""
        if note.lower() not in current.lower():
            values["interpretation_services"] = f"{current}; {note}" if current else note
    if services:
        clean.repaired(rec, field, f"{note[:80]!r} is a note about interpreters, not a "
                                   "language; kept as the programs' interpretation services")
