"""Directory files uploaded through the web: an admin's import, an agency's own HSDS file."""

from __future__ import annotations

import dataclasses
import tempfile
import time
import zipfile
from pathlib import Path

from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from resdir.directory import csvimport, operations
from resdir.directory.csvimport import is_seed_csv
from resdir.errors import BadParameter
from resdir.interop.hsds_import import ImportReport, import_path

MAX_UNPACKED = 200 * 1024 * 1024  # a zip bomb stops here
ALLOWED = (".json", ".csv", ".zip")


def import_upload(upload: FileStorage | None, *, dry_run: bool,
                  organization_id: str | None = None):
    """Import an uploaded .json, .csv or .zip (an HSDS CSV datapackage); return the report."""
    if upload is None or not upload.filename:
        raise BadParameter("Choose a file to upload.", "file")
    name = secure_filename(upload.filename) or "upload"
    if not name.lower().endswith(ALLOWED):
        raise BadParameter("Upload HSDS as .json, a .csv table, or a .zip of CSV files.", "file")
    with tempfile.TemporaryDirectory(prefix="resdir-upload-") as folder:
        target = Path(folder) / name
        upload.save(target)
        if name.lower().endswith(".csv") and is_seed_csv(target):
            if organization_id:
                raise BadParameter("This is the directory's own CSV format, which only "
                                   "administrators load. Upload your HSDS file instead.", "file")
            return _seed_import(target, name, dry_run)
        if name.lower().endswith(".zip"):
            target = _unzip(target, Path(folder) / "unpacked")
        report = import_path(target, dry_run=dry_run, organization_id=organization_id,
                             source=Path(name).stem)
        return _without_server_paths(report, folder, name)


def _seed_import(path: Path, name: str, dry_run: bool) -> ImportReport:
    """The seed CSV (README format) through the web, with the same checks as the CLI."""
    report = ImportReport(name, form="resdir directory CSV", source="resdir CSV",
                          dry_run=dry_run)
    started = time.perf_counter()
    try:
        if dry_run:
            rows = csvimport.read(path, operations.category_slugs())
            report.read["program"] = len(rows)
        else:
            summary = operations.import_csv(path)
            report.applied = True
            report.created["program"], report.updated["program"] = (summary.created,
                                                                    summary.updated)
            report.read.update(organization=summary.organizations, location=summary.locations)
    except csvimport.CsvImportError as exc:
        for problem in exc.problems:
            report.refused(name, problem.row, problem.column, problem.reason)
    report.seconds = time.perf_counter() - started
    return report


def _without_server_paths(report: ImportReport, folder: str, name: str) -> ImportReport:
    """The report speaks of the uploaded file, never of where the server kept it."""
    report.path = name
    inner = [str(Path(folder) / "unpacked") + "/", str(Path(folder)) + "/", str(Path(folder))]

    def clean(text):
        if not isinstance(text, str):
            return text
        for prefix in inner:
            text = text.replace(prefix, "")
        return text.replace(Path(folder).name, "upload")

    report.entries = [dataclasses.replace(e, file=clean(e.file), reason=clean(e.reason))
                      for e in report.entries]
    return report


def _unzip(archive: Path, into: Path) -> Path:
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = zipped.infolist()
            if sum(m.file_size for m in members) > MAX_UNPACKED:
                raise BadParameter("The zip file unpacks to more than 200 MB.", "file")
            for member in members:
                target = (into / member.filename).resolve()
                if not str(target).startswith(str(into.resolve())):
                    raise BadParameter("The zip file has paths outside itself.", "file")
            zipped.extractall(into)
    except zipfile.BadZipFile:
        raise BadParameter("The file is not a readable zip archive.", "file") from None
    folders = [p for p in into.iterdir() if p.is_dir()]
    files = [p for p in into.iterdir() if p.is_file()]
    return folders[0] if len(folders) == 1 and not files else into
