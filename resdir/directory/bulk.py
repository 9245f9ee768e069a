"""An import's writes, prepared while no lock is held and applied in a few set-based
statements (shared by both importers; issue 9, item 4).

Turning 400,000 rows into SQL parameters (or into ORM flushes) costs the Python side far
more than the database's work does (20,000 programs: most of the ~19 s the write lock was
held). So everything an import writes is first put into temporary staging tables: a
temporary table belongs to this connection alone (SQLite keeps it in a separate file with
its own lock; PostgreSQL in the session), so filling it holds no lock other writers wait
for. The writing step then runs, inside the import's one transaction:

- new rows (`add`): one `INSERT ... SELECT` per table;
- new values of existing rows (`edit`): one `UPDATE ... FROM staging` per table; for a
  versioned row (a program) the same statement checks the version read while staging and
  bumps it (`WHERE version = staged.seen_version`, `SET version = version + 1`), so a
  program saved by someone else meanwhile matches no row and the whole import stops with
  StaleDataError (nothing written), and anyone who read the old version gets 409 after;
- child rows to replace (`clear`): one `DELETE ... WHERE parent IN (SELECT ...)` per table,
  before the new child rows go in (re-imports keep child ids, so the old rows go first).

Staged rows are written to their tables every CHUNK rows while they are added, so the
Python side holds one batch, not the file (issue 9, item 8). All or nothing is unchanged:
nothing reaches the real tables before the writing step, and a rollback (or a killed
process) takes it all back; the staging tables left then are dropped when the import ends
(drop_leftovers), or vanish with the connection at worst.
"""

from __future__ import annotations

import logging
from functools import cache

from sqlalchemy import Column, Integer, MetaData, Table, delete, insert, select, text
from sqlalchemy import update as sql_update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from resdir.basics import new_id
from resdir.extensions import db

log = logging.getLogger(__name__)

CHUNK = 1000
PREFIX = "staged_"
SEEN = "seen_version"  # the version an edited row had when its change was computed


class Bulk:
    """An import's writes: `add`, `edit`, `clear` while staging, then `write` (new parents),
    `write_edits` (changed rows, removed children) and `write` again (new children)."""

    def __init__(self):
        self.metadata = MetaData()
        # (kind, model, columns) -> rows waiting to be staged; kind is "add", "edit" or
        # "clear". Rows with other keys go to a staging table of their own.
        self.pending: dict[tuple, list[dict]] = {}
        self.tables: dict[tuple, tuple[Table, int]] = {}  # same key -> (staging, rows)
        self.written: set[tuple] = set()

    def add(self, model, **row) -> None:
        """A new row, with its id (a column not given gets its scalar default, or NULL)."""
        row = {**_defaults(model.__table__), **row}
        self._queue(("add", model, tuple(sorted(row))), row)

    def edit(self, model, row_id: str, version: int | None = None, **values) -> None:
        """New values of an existing row; `version`: the version read (checked, bumped)."""
        row = {"id": row_id, **values}
        if version is not None:
            row[SEEN] = version
        self._queue(("edit", model, tuple(sorted(row))), row)

    def clear(self, model, column: str, parent_id: str, **where) -> None:
        """Remove the rows of `model` whose `column` is `parent_id` (and that match the
        fixed `where` values) before the new rows are written."""
        self._queue(("clear", model, (column, *sorted(where.items()))), {"parent": parent_id})

    def replace(self, model, column: str, parent_id: str, current: list, rows: list[dict],
                same: tuple[str, ...], **where) -> bool:
        """Replace the children `current` (objects) of `parent_id` by `rows` unless they hold
        the same content (the `same` columns, in any order: PostgreSQL returns children in
        no fixed order); True if they are replaced. A row without an id gets a new one."""
        def content(items):
            return sorted(items, key=repr)

        if content(tuple(getattr(o, c) for c in same) for o in current) == content(
                tuple(r.get(c) for c in same) for r in rows):
            return False
        self.clear(model, column, parent_id, **where)
        own_id = "id" in model.__table__.c
        for row in rows:
            self.add(model, **{**({"id": new_id()} if own_id else {}), **row, **where,
                               column: parent_id})
        return True

    def _queue(self, key: tuple, row: dict) -> None:
        rows = self.pending.setdefault(key, [])
        rows.append(row)
        if len(rows) >= CHUNK:
            self._stage(key)

    def stage(self) -> None:
        """Put every waiting row into its staging table now, while no write lock is held."""
        for key in list(self.pending):
            self._stage(key)

    def _stage(self, key: tuple) -> None:
        rows = self.pending.pop(key, [])
        if not rows:
            return
        staging, count = self.tables.get(key) or (self._staging_table(key), 0)
        raw = db.session.connection().connection.dbapi_connection
        # SQLite: inserting opens a transaction, and a transaction that reads the database
        # and then sees another writer commit can no longer write ("database is locked",
        # at once). So rows staged while the import is still reading are committed at once
        # (they touch only this connection's temporary tables; nothing else is in that
        # transaction, as none was open): the import's own transaction starts with its
        # first real write. Once it has started, staging stays inside it.
        alone = db.engine.dialect.name == "sqlite" and not raw.in_transaction
        db.session.execute(insert(staging), rows)
        if alone:
            raw.commit()
        self.tables[key] = (staging, count + len(rows))

    def write(self, *models) -> None:
        """Copy the new rows of `models` into their tables, in that order (parents first:
        foreign keys), and drop their staging tables."""
        self.stage()
        for model in models:
            for key in self._keys("add", model):
                staging, _ = self.tables[key]
                columns = list(key[2])
                db.session.execute(insert(model.__table__).from_select(
                    columns, select(*(staging.c[c] for c in columns))))
                self._done(key)

    def write_edits(self) -> None:
        """Apply every staged edit (version checked and bumped where given), then remove
        the children to be replaced. StaleDataError when a versioned row changed meanwhile."""
        self.stage()
        for key in self._keys("edit"):
            staging, count = self.tables[key]
            table = key[1].__table__
            columns = [c for c in key[2] if c not in ("id", SEEN)]
            values = {c: staging.c[c] for c in columns}
            query = sql_update(table).where(table.c.id == staging.c.id)
            if SEEN in key[2]:
                query = query.where(table.c.version == staging.c[SEEN])
                values["version"] = table.c.version + 1
            matched = db.session.execute(query.values(values)).rowcount
            if matched != count:
                raise StaleDataError(
                    f"{count - matched} of the {count} {table.name} rows this import changes "
                    "were changed by someone else while it ran; nothing was imported, run it "
                    "again")
            self._done(key)
        for key in self._keys("clear"):
            staging, _ = self.tables[key]
            table = key[1].__table__
            column, *where = key[2]
            db.session.execute(delete(table).where(
                table.c[column].in_(select(staging.c.parent)),
                *(table.c[name] == value for name, value in where)))
            self._done(key)

    def edited(self, model) -> int:
        """How many edits of `model` are staged (and not yet written)."""
        return sum(self.tables[k][1] for k in self._keys("edit", model)) + sum(
            len(rows) for k, rows in self.pending.items() if k[:2] == ("edit", model))

    def _keys(self, kind: str, model=None) -> list[tuple]:
        return [k for k in self.tables
                if k[0] == kind and (model is None or k[1] is model) and k not in self.written]

    def _done(self, key: tuple) -> None:
        staging, _ = self.tables[key]
        db.session.execute(text(f"DROP TABLE {staging.name}"))
        self.written.add(key)

    def _staging_table(self, key: tuple) -> Table:
        kind, model, shape = key
        table = model.__table__
        name = f"{PREFIX}{len(self.tables)}_{kind}_{table.name}"
        if not self.tables:
            # A connection kept in the pool may still hold an earlier import's staging
            # tables (one that failed, or a dry run: rows staged while it was reading were
            # committed, see _stage): this import's first table clears them all.
            for old in _leftovers():
                db.session.execute(text(f"DROP TABLE IF EXISTS {old}"))
        if kind == "clear":
            columns = [Column("parent", table.c[shape[0]].type)]
        else:
            columns = [Column(c, Integer if c == SEEN else table.c[c].type) for c in shape]
        staging = Table(name, self.metadata, *columns, prefixes=["TEMPORARY"])
        staging.create(db.session.connection())
        return staging


def drop_leftovers() -> None:
    """Drop this connection's staging tables once an import has ended without writing them
    all (a dry run, a refused or failed import): on SQLite, rows staged while it was still
    reading were committed at once (Bulk._stage), and would hold their disk until the
    connection's next import or its closing."""
    try:
        for name in _leftovers():
            db.session.execute(text(f"DROP TABLE IF EXISTS {name}"))
        db.session.commit()
    except SQLAlchemyError:  # the database went away: the tables go with the connection
        db.session.rollback()
        log.warning("could not drop an import's staging tables; they go with the connection")


def _leftovers() -> list[str]:
    """The names of this connection's temporary staging tables."""
    if db.engine.dialect.name == "sqlite":
        query = ("SELECT name FROM sqlite_temp_master WHERE type = 'table' "
                 "AND substr(name, 1, :n) = :prefix")
    else:
        query = ("SELECT relname FROM pg_class WHERE relnamespace = pg_my_temp_schema() "
                 "AND relkind = 'r' AND substr(relname, 1, :n) = :prefix")
    return list(db.session.scalars(text(query), {"n": len(PREFIX), "prefix": PREFIX}))


def differs(obj, values: dict) -> bool:
    """Whether any of `values` differs from the object's."""
    return any(getattr(obj, name) != value for name, value in values.items())


@cache
def _defaults(table) -> dict:
    """The scalar defaults of a table's columns (an INSERT ... SELECT does not apply the
    model's defaults itself)."""
    out = {}
    for column in table.c:
        default = column.default
        if default is not None and default.is_scalar:
            out[column.name] = default.arg
    return out
