"""Reading CSV tables as they come: a byte-order mark, Windows-1252 text, rows with more or
fewer cells than the header, blank lines, and records spanning several lines."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

from resdir.interop.hsds_import.report import ImportReport
from resdir.interop.hsds_import.tables import FILE_TABLES, Dataset, Rec

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def header_of(path: Path) -> list[str]:
    """The header cells of a CSV file, stripped ([] when unreadable)."""
    try:
        with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
            return [h.strip() for h in next(csv.reader(handle), [])]
    except OSError:
        return []


def _names(header: list[str]) -> list[str]:
    """Lower-case the header names, unless that would make two of them the same
    (ORServices files have both `ID`, a row number, and `id`, the record id)."""
    stripped = [h.strip().lstrip("\ufeff") for h in header]
    out = []
    for name in stripped:
        low = name.lower()
        out.append(low if low == name or low not in stripped else name)
    return out


def read_rows(path: Path, table: str, report: ImportReport) -> list[Rec]:
    """Every data row of the file as a record of `table` (row = the line it starts on)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        report.fatal(path.name, None, "-", f"cannot read the file: {exc.strerror}")
        return []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
        report.repaired(path.name, None, "-", "not UTF-8; read as Windows-1252")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        report.fatal(path.name, 1, "-", f"not a readable CSV file ({exc})")
        return []
    if not header:
        report.note(path.name, None, "-", "empty file")
        return []
    names = _names(header)
    recs: list[Rec] = []
    extra_rows: list[int] = []
    start = reader.line_num + 1
    try:
        for cells in reader:
            line = start
            start = reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(names) and any(c.strip() for c in cells[len(names):]):
                extra_rows.append(line)
            recs.append(Rec(table, path.name, line, dict(zip(names, cells, strict=False))))
    except csv.Error as exc:
        report.skipped(path.name, start, "-", f"unreadable CSV from here on ({exc})")
    if extra_rows:
        more = f" (and {len(extra_rows) - 1} more rows)" if len(extra_rows) > 1 else ""
        report.repaired(path.name, extra_rows[0], "-",
                        f"more cells than the header{more}; the extra cells were ignored")
    report.read[table] += len(recs)
    return recs


def load_datapackage(path: Path, report: ImportReport) -> dict | None:
    try:
        package = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        report.fatal(path.name, None, "-", f"not a readable datapackage.json ({exc})")
        return None
    if not isinstance(package, dict):
        report.fatal(path.name, None, "-", "datapackage.json is not a JSON object")
        return None
    return package


def table_files(folder: Path, package: dict | None) -> dict[str, Path]:
    """File stem -> CSV path, from the datapackage's resources (when they exist on disk)
    and from the CSV files in the folder."""
    files: dict[str, Path] = {}
    base = data_folder(folder)
    for resource in (package or {}).get("resources", []) or []:
        where = resource.get("path") if isinstance(resource, dict) else None
        if isinstance(where, str) and not where.startswith(("http:", "https:")):
            for root in dict.fromkeys((folder, base)):
                candidate = (root / where).resolve()
                if candidate.is_file() and candidate.is_relative_to(folder.resolve()):
                    files[candidate.stem.lower()] = candidate
                    break
    for candidate in sorted(base.glob("*.csv")):
        files.setdefault(candidate.stem.lower(), candidate)
    return files


def data_folder(folder: Path) -> Path:
    """Where a package's tables are: the folder itself, or its `data/` folder when the
    folder holds no CSV file of its own (the data-package layout: datapackage.json beside
    data/, as 211 Miami's export has it)."""
    inner = folder / "data"
    if not any(folder.glob("*.csv")) and inner.is_dir() and any(inner.glob("*.csv")):
        return inner
    return folder


def read_hsds3(folder: Path, package: dict | None, dataset: Dataset,
               report: ImportReport) -> None:
    """HSDS 3.0 tabular CSV: one file per table, already in the target shape."""
    for stem, path in table_files(folder, package).items():
        table = FILE_TABLES.get(stem)
        if table is None:
            report.note(path.name, None, "-", "not an HSDS 3.0 table; not read")
            continue
        for rec in read_rows(path, table, report):
            dataset.add(rec)
