"""Which form a path holds, what the source is called, and reading it into HSDS 3.0 tables.

Forms: HSDS 3.0 JSON (a file, or a folder of them), HSDS 3.0 tabular JSON, HSDS 3.0 CSV,
HSDS 1.x CSV and the Ohana CSV dialect. A CSV form is a folder (or its datapackage.json,
or any CSV file in it: the whole folder is read).

The source name (the middle of every source key, `hsds:<source>:<table>:<id>`) is the
datapackage's `name`, unless that is the HSDS template's placeholder; else the folder's or
JSON file's name, prefixed with its parent folder's when it is a generic one ("csv",
"data", ...). Importing the same source again finds the same records.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from resdir.interop.hsds_import import legacy, ohana, read_csv, read_json
from resdir.interop.hsds_import.report import ImportReport
from resdir.interop.hsds_import.tables import FILE_TABLES, Dataset, slug

TEMPLATE_NAMES = {"human_services_data", "hsds", "datapackage", ""}
GENERIC = {"csv", "data", "json", "export", "exports", "hsds", "examples", "files", "upload",
           "uploads", "all_resources", "simple", "tmp", "output", "out", "latest"}
_V1_TABLES = {"physical_addresses", "postal_addresses", "regular_schedules",
              "holiday_schedules", "services_taxonomy", "eligibility", "payments_accepted",
              "accessibility_for_disabilities", "services_at_location", "taxonomy"}
_V3_TABLES = {"schedules", "addresses", "attributes", "taxonomy_terms", "taxonomies",
              "cost_options", "service_at_location", "organization_identifiers"}

FORMS = {"json": "HSDS 3.0 JSON", "tabular": "HSDS 3.0 tabular JSON", "csv3": "HSDS 3.0 CSV",
         "csv1": "HSDS 1.x CSV", "ohana": "Ohana API CSV"}


def read(path: Path, report: ImportReport, source: str | None = None) -> Dataset | None:
    if not path.exists():
        report.fatal(path.name, None, "-", "no such file or folder")
        return None
    package = None
    if path.is_file() and path.suffix.lower() == ".json" and path.name != "datapackage.json":
        return _json_files([path], path, report, source)
    if path.is_file():
        if path.name.lower() == "datapackage.json":
            package = read_csv.load_datapackage(path, report)
            if package is None:
                return None
        elif path.suffix.lower() != ".csv":
            report.fatal(path.name, None, "-", "not a JSON file, CSV file or folder")
            return None
        else:
            report.note(path.name, None, "-", f"reading the whole folder {path.parent.name!r}")
        folder = path.parent
    else:
        folder = path
        if (folder / "datapackage.json").is_file():
            package = read_csv.load_datapackage(folder / "datapackage.json", report)
            if package is None:
                return None
    files = read_csv.table_files(folder, package)
    if not files:
        jsons = sorted(p for p in folder.glob("*.json") if p.name != "datapackage.json")
        if jsons:
            return _json_files(jsons, folder, report, source)
        report.fatal(folder.name, None, "-", "no CSV or JSON files here")
        return None
    form = _csv_form(files, package)
    if form is None:
        report.fatal(folder.name, None, "-", "no HSDS tables here (organizations.csv, "
                                             "services.csv, locations.csv ...)")
        return None
    # The same records whether the package's root or its data/ folder is imported.
    dataset = Dataset(FORMS[form], source_name(read_csv.data_folder(folder), package, source))
    reader = {"csv3": read_csv.read_hsds3, "csv1": legacy.read, "ohana": ohana.read}[form]
    reader(folder, package, dataset, report)
    return dataset


def is_table_file(path: str | Path) -> bool:
    """Whether a CSV file's name is that of an HSDS (3.0 or 1.x) or Ohana table."""
    stem = Path(path).stem.lower()
    return stem in FILE_TABLES or stem in legacy.TABLES or stem == "mail_addresses"


def is_seed_csv(path: str | Path) -> bool:
    """The seed directory CSV (README format): a CSV file whose header has program_key, or
    any CSV file that is not an HSDS/Ohana table (so that it gets the seed format's errors);
    a missing .csv file too (it is reported as such). The CLI and web import share this.
    It is here, not in resdir.directory.csvimport, because it chooses between the two
    importers."""
    path = str(path)
    if not path.lower().endswith(".csv"):
        return False
    if not os.path.isfile(path):
        return True
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as handle:
        if "program_key" in [h.strip() for h in next(csv.reader(handle), [])]:
            return True
    return not is_table_file(path)


def _json_files(paths: list[Path], base: Path, report: ImportReport,
                source: str | None) -> Dataset | None:
    shapes = [(p, read_json.load(p, report)) for p in paths]
    if not report.ok:
        return None
    tabular = all(read_json.is_tabular(shape) for _, shape in shapes)
    dataset = Dataset(FORMS["tabular" if tabular else "json"], source_name(base, None, source))
    for path, shape in shapes:
        read_json.read(path, shape, dataset, report)
    return dataset


def _csv_form(files: dict[str, Path], package: dict | None) -> str | None:
    stems = set(files)
    version = str((package or {}).get("version") or "")
    services = read_csv.header_of(files["services"]) if "services" in files else []
    if "mail_addresses" in stems or ("location_id" in services
                                     and "organization_id" not in services):
        return "ohana"
    if version.startswith("3"):
        return "csv3"
    if stems & _V1_TABLES or version.startswith("1"):
        return "csv1"
    if stems & _V3_TABLES or stems & {"organizations", "services", "locations"}:
        return "csv3"
    return None


def source_name(base: Path, package: dict | None, given: str | None) -> str:
    if given:
        return slug(given)
    name = str((package or {}).get("name") or "").strip()
    if name.lower() not in TEMPLATE_NAMES:
        return slug(name)
    base = base.resolve()
    stem = base.stem if base.is_file() else base.name
    if stem.lower() in GENERIC and base.parent.name:
        return slug(f"{base.parent.name}-{stem}")
    return slug(stem)
