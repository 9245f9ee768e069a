"""New rows written through staging tables (shared by both importers), so that the write
itself is one `INSERT ... SELECT` per table (issue 9, item 4).

Turning 400,000 rows into SQL parameters costs the Python side far more than the database's
insert does (20,000 programs: most of the ~19 s the write lock was held). So `stage()` puts
the rows into temporary tables first: a temporary table belongs to this connection alone
(SQLite keeps it in a separate file with its own lock; PostgreSQL in the session), so
filling it holds no lock other writers wait for. `write()` then copies each table across
in one statement inside the import's transaction, and drops the staging tables in that same
transaction. All or nothing is unchanged: nothing reaches the real tables before `write()`,
and a rollback (or a killed process) takes the copies with it; the temporary tables vanish
with the connection at worst.
"""

from __future__ import annotations

from sqlalchemy import Column, MetaData, Table, insert, select, text

from resdir.extensions import db

CHUNK = 5000
PREFIX = "staged_"


class Bulk:
    """New rows, added with their ids, staged (`stage`), then written (`write`)."""

    def __init__(self):
        self.rows: dict = {}
        self.staged: dict = {}  # model -> (real table, staging table, columns)
        self.metadata = MetaData()

    def add(self, model, **row) -> None:
        self.rows.setdefault(model, []).append(row)

    def stage(self) -> None:
        """Put every row into its staging table now, while no write lock is held."""
        for model, rows in self.rows.items():
            table = model.__table__
            columns = sorted(set().union(*rows))
            staging = self._staging_table(table, columns)
            shaped = _uniform(table, columns, rows)
            for start in range(0, len(shaped), CHUNK):
                db.session.execute(insert(staging), shaped[start:start + CHUNK])
            self.staged[model] = (table, staging, columns)
        self.rows = {}

    def write(self, *models) -> None:
        """Copy the staged rows of `models` into their tables, in that order (parents
        first: foreign keys), and drop their staging tables."""
        self.stage()
        for model in models:
            if model not in self.staged:
                continue
            table, staging, columns = self.staged.pop(model)
            db.session.execute(insert(table).from_select(
                columns, select(*(staging.c[c] for c in columns))))
            db.session.execute(text(f"DROP TABLE {staging.name}"))

    def _staging_table(self, table: Table, columns: list[str]) -> Table:
        name = PREFIX + table.name
        # A connection kept in the pool may still have one from an import that failed
        # between two transactions.
        db.session.execute(text(f"DROP TABLE IF EXISTS {name}"))
        staging = Table(name, self.metadata,
                        *(Column(c, table.c[c].type) for c in columns),
                        prefixes=["TEMPORARY"])
        staging.create(db.session.connection())
        return staging


def _uniform(table, columns: list[str], rows: list[dict]) -> list[dict]:
    """Give every row the same keys (one INSERT needs that): a missing value is the
    column's scalar default, or NULL."""
    defaults = {}
    for key in columns:
        default = table.c[key].default
        defaults[key] = default.arg if default is not None and default.is_scalar else None
    return [{k: row[k] if k in row else defaults[k] for k in columns} for row in rows]
