"""Directory files uploaded through the web: an admin's import, an agency's own HSDS file."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from resdir.errors import BadParameter
from resdir.interop.hsds_import import import_path

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
        if name.lower().endswith(".zip"):
            target = _unzip(target, Path(folder) / "unpacked")
        return import_path(target, dry_run=dry_run, organization_id=organization_id,
                           source=Path(name).stem)


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
