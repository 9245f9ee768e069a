"""Small helpers for writing: find rows by source key in chunks, change only what differs,
count what happened."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from resdir.directory import models as m
from resdir.directory.bulk import Bulk  # noqa: F401  (the writers import it from here)
from resdir.extensions import db
from resdir.interop.hsds_import.report import ImportReport

CHUNK = 5000
# Key of a child row's own id in the source (a phone's, an hours row's...), kept beside its
# columns until the writer turns it into the row's id (child_ids).
SOURCE_ID = "_source_id"


def changed_set(obj, **values) -> bool:
    """Assign only what differs (so unchanged rows are not rewritten); True if any did."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def replace(obj, attr: str, new: list, same) -> bool:
    """Replace a child collection unless it already holds the same content (in any order:
    PostgreSQL returns unordered children in no fixed order)."""
    if sorted(map(same, getattr(obj, attr)), key=repr) != sorted(map(same, new), key=repr):
        setattr(obj, attr, new)
        return True
    return False


def by_key(model, keys, *options) -> dict:
    """Existing rows by source key; a record whose own id is a UUID also finds the row it
    made before under another source name (the same file uploaded under another name)."""
    keys, out = sorted(keys), {}
    for start in range(0, len(keys), CHUNK):
        query = select(model).where(model.source_key.in_(keys[start:start + CHUNK]))
        out.update((o.source_key, o) for o in db.session.scalars(query.options(*options)))
    # A UUID is the source's own identity whatever the file was called; rows imported from
    # HSDS keep that UUID as their id when it was free (see free_ids).
    by_uuid = {key.rsplit(":", 1)[1].lower(): key for key in keys
               if key not in out and _is_uuid(key.rsplit(":", 1)[1])}
    wanted = sorted(by_uuid)
    for start in range(0, len(wanted), CHUNK):
        query = select(model).where(model.id.in_(wanted[start:start + CHUNK]),
                                    model.source_key.like("hsds:%"))
        for row in db.session.scalars(query.options(*options)):
            key = by_uuid[row.id]
            # Only the same kind of record (…:<table>:<id>) counts as the same record.
            if row.source_key.lower().endswith(":" + key.rsplit(":", 2)[1] + ":" + row.id):
                out[key] = row
    return out


def service_ids(plan, keys) -> dict[str, str]:
    """The ids of the written programs, by their key in the source (`plan.key` makes the
    stored source key from it)."""
    wanted = {plan.key("service", k): k for k in keys}
    out: dict[str, str] = {}
    names = list(wanted)
    for start in range(0, len(names), CHUNK):
        for sid, source_key in db.session.execute(
                select(m.Service.id, m.Service.source_key)
                .where(m.Service.source_key.in_(names[start:start + CHUNK]))):
            out[wanted[source_key]] = sid
    return out


def free_ids(model, candidates) -> set[str]:
    """Those of the candidate ids (valid UUIDs) that no row of the table uses."""
    wanted = sorted({c.lower() for c in candidates if _is_uuid(c)})
    used: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        used.update(db.session.scalars(select(model.id).where(model.id.in_(
            wanted[start:start + CHUNK]))))
    return set(wanted) - used


def _is_uuid(text: str) -> bool:
    try:
        return len(text) == 36 and str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False


def count(report: ImportReport, table: str, new: bool, changed: bool) -> None:
    target = report.created if new else report.updated if changed else report.unchanged
    target[table] += 1


def child_ids(parent_key: str, table: str, rows: list[dict]) -> list[dict]:
    """The rows with ids that stay the same on every import of the same source (issue 11:
    re-imports re-minted them): made from the parent's source key and the child's own id in
    the file, or its position when it has none. Without the SOURCE_ID key."""
    out, seen = [], set()
    for n, given in enumerate(rows):
        row = dict(given)
        own = row.pop(SOURCE_ID, None)
        name = f"{parent_key}/{table}/{own}" if own else f"{parent_key}/{table}#{n}"
        if name in seen:  # one source row placed twice (two locations of one program)
            name = f"{name}#{n}"
        seen.add(name)
        out.append({**row, "id": str(uuid.uuid5(uuid.NAMESPACE_URL, name))})
    return out
