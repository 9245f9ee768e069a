"""Load the directory CSV (the seed format documented in the README).

The whole file is read and checked first; any bad cell stops the import with every problem
listed as file, row, column and reason, and nothing is written. A good file is applied in
one transaction. Rows are matched to existing records by their keys, so loading the same
file again updates records instead of duplicating them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from resdir.directory.csvcells import REQUIRED, Checker, CsvImportError, Problem


@dataclass
class Row:
    line: int
    values: dict[str, object] = field(default_factory=dict)


def read(path: str | Path, categories: set[str]) -> list[Row]:
    """Read and check the file; raise CsvImportError listing every problem."""
    path = Path(path)
    checker = Checker(path.name, categories)
    rows: list[Row] = []
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise CsvImportError([Problem(path.name, 0, "-", f"cannot open: {exc.strerror}")]) from exc
    with handle:
        try:
            reader = csv.DictReader(handle)
            missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
            if missing:
                raise CsvImportError(
                    [Problem(path.name, 1, c, "column is missing from the header") for c in missing]
                )
            seen: dict[str, int] = {}
            for raw in reader:
                checker.line = reader.line_num
                if None in raw:
                    checker.bad("-", "row has more cells than the header")
                values = checker.row(raw)
                key = values["program_key"]
                if key in seen:
                    checker.bad("program_key", f"{key!r} already used on row {seen[key]}")
                seen[str(key)] = reader.line_num
                rows.append(Row(reader.line_num, values))
        except (UnicodeDecodeError, csv.Error) as exc:
            checker.bad("-", f"not a readable UTF-8 CSV file ({exc})")
    _check_consistency(checker, rows)
    if not rows and not checker.problems:
        checker.bad("-", "the file has no rows")
    if checker.problems:
        raise CsvImportError(checker.problems)
    return rows


def _check_consistency(checker: Checker, rows: list[Row]) -> None:
    """Rows sharing an organization or location key must agree on its fields."""
    for key_col, cols in (
        ("organization_key", ("organization_name",)),
        ("location_key", ("organization_key", "address_1", "postal_code", "confidential")),
    ):
        first: dict[object, Row] = {}
        for row in rows:
            key = row.values[key_col]
            if key not in first:
                first[key] = row
                continue
            for col in cols:
                if row.values[col] != first[key].values[col]:
                    checker.line = row.line
                    checker.bad(col, f"differs from row {first[key].line} with the same {key_col}")
