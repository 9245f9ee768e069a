"""Directory files uploaded through the web: an admin's import, an agency's own HSDS file.

The request only keeps the file (save_upload); an import job reads it in the background
(import_jobs.py, import_saved here), so a big file ties up neither a web worker nor its
memory for the length of the import."""

from __future__ import annotations

import dataclasses
import tempfile
import time
import zipfile
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from resdir.directory import csvimport, operations
from resdir.directory.csvcells import CsvImportError
from resdir.errors import BadParameter
from resdir.interop.hsds_import import ImportReport, import_path
from resdir.interop.hsds_import.detect import is_seed_csv

ALLOWED = (".json", ".csv", ".zip")
MAX_MEMBERS = 1000  # an HSDS datapackage has a few dozen tables
CHUNK = 1024 * 1024


def save_upload(upload: FileStorage | None, folder: Path) -> str:
    """Check an uploaded file's name and keep it in `folder`; return its (safe) name.
    Nothing is read yet: the import job reads it (import_saved)."""
    if upload is None or not upload.filename:
        raise BadParameter("Choose a file to upload.", "file")
    name = secure_filename(upload.filename) or "upload"
    if not name.lower().endswith(ALLOWED):
        raise BadParameter("Upload HSDS as .json, a .csv table, or a .zip of CSV files.", "file")
    folder.mkdir(parents=True, exist_ok=True)
    upload.save(folder / name)
    return name


def import_saved(target: Path, *, dry_run: bool, organization_id: str | None = None,
                 progress=None) -> ImportReport:
    """Import a saved upload (.json, .csv, or .zip of an HSDS CSV datapackage); return the
    report. Problems with the file itself become report entries, never exceptions."""
    name = target.name
    try:
        if name.lower().endswith(".csv") and is_seed_csv(target):
            if organization_id:
                raise BadParameter("This is the directory's own CSV format, which only "
                                   "administrators load. Upload your HSDS file instead.", "file")
            return _seed_import(target, name, dry_run, progress)
        with tempfile.TemporaryDirectory(prefix="resdir-upload-") as folder:
            path = target
            if name.lower().endswith(".zip"):
                cfg = current_app.config
                path = _unzip(target, Path(folder) / "unpacked",
                              int(cfg["RESDIR_MAX_UNPACKED_MB"] * 1024 * 1024),
                              cfg["RESDIR_MAX_ZIP_RATIO"])
            report = import_path(path, dry_run=dry_run, organization_id=organization_id,
                                 source=Path(name).stem, progress=progress)
            return _without_server_paths(report, [folder, str(target.parent)], name)
    except BadParameter as exc:
        report = ImportReport(name, dry_run=dry_run, organization_id=organization_id)
        report.refused(name, None, exc.field or "file", exc.message)
        return report


def _seed_import(path: Path, name: str, dry_run: bool, progress=None) -> ImportReport:
    """The seed CSV (README format) through the web, with the same checks as the CLI."""
    report = ImportReport(name, form="resdir directory CSV", source="resdir CSV",
                          dry_run=dry_run)
    started = time.perf_counter()
    try:
        if dry_run:
            rows = csvimport.read(path, operations.category_slugs())
            report.read["program"] = len(rows)
        else:
            summary = operations.import_csv(path, progress)
            report.applied = True
            report.created["program"], report.updated["program"] = (summary.created,
                                                                    summary.updated)
            report.read.update(organization=summary.organizations, location=summary.locations)
    except CsvImportError as exc:
        for problem in exc.problems:
            report.refused(name, problem.row, problem.column, problem.reason)
    report.seconds = time.perf_counter() - started
    return report


def _without_server_paths(report: ImportReport, folders: list[str],
                          name: str) -> ImportReport:
    """The report speaks of the uploaded file, never of where the server kept it."""
    report.path = name
    inner = []
    for folder in folders:
        inner += [str(Path(folder) / "unpacked") + "/", str(Path(folder)) + "/", str(folder)]

    def clean(text):
        if not isinstance(text, str):
            return text
        for prefix in inner:
            text = text.replace(prefix, "")
        for folder in folders:
            text = text.replace(Path(folder).name, "upload")
        return text

    report.entries = [dataclasses.replace(e, file=clean(e.file), reason=clean(e.reason))
                      for e in report.entries]
    return report


def _unzip(archive: Path, into: Path, max_total: int, max_ratio: int) -> Path:
    """Unpack a zip member by member in bounded chunks, refusing a zip bomb: first by what
    its headers declare (nothing is written), then by what really comes out, since headers
    can lie. Memory stays at one chunk whatever the archive holds."""
    packed = max(archive.stat().st_size, 1)
    limit = min(max_total, packed * max_ratio)

    def refuse(unpacked: int) -> BadParameter:
        if unpacked <= packed * max_ratio:
            return BadParameter(f"The zip file unpacks to more than {_mb(max_total)} "
                                "(RESDIR_MAX_UNPACKED_MB); nothing was imported.", "file")
        return BadParameter(f"The zip file unpacks to more than {max_ratio} times its size "
                            f"({_mb(packed)} packed), as zip bombs do (RESDIR_MAX_ZIP_RATIO); "
                            "nothing was imported.", "file")

    try:
        with zipfile.ZipFile(archive) as zipped:
            members = [m for m in zipped.infolist() if not m.is_dir()]
            if len(members) > MAX_MEMBERS:
                raise BadParameter(f"The zip file holds more than {MAX_MEMBERS} files.", "file")
            declared = sum(m.file_size for m in members)
            if declared > limit:
                raise refuse(declared)
            root = into.resolve()
            written = 0
            for member in members:
                target = (into / member.filename).resolve()
                if not target.is_relative_to(root):
                    raise BadParameter("The zip file has paths outside itself.", "file")
                target.parent.mkdir(parents=True, exist_ok=True)
                with zipped.open(member) as source, open(target, "wb") as out:
                    while chunk := source.read(CHUNK):
                        written += len(chunk)
                        if written > limit:
                            raise refuse(written)
                        out.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError):
        raise BadParameter("The file is not a readable zip archive.", "file") from None
    if not into.exists():
        raise BadParameter("The zip file is empty.", "file")
    folders = [p for p in into.iterdir() if p.is_dir()]
    files = [p for p in into.iterdir() if p.is_file()]
    return folders[0] if len(folders) == 1 and not files else into


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"
