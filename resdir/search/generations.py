"""Files beside the index generations: locks between processes, the change-log position of a
generation, clean-up of generations a killed build left behind, and opening a generation
(without mmap, read again when a file vanished under the reader).

Locks are `flock`s on files in the index folder: the kernel drops them when the holder dies
(even by kill -9), so a crash never leaves a lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import threading
import time
from pathlib import Path

from whoosh.filedb.filestore import FileStorage

POINTER = "CURRENT"  # names the live generation folder; replaced atomically on rebuild
POSITION_FILE = "position.json"
SYNC_LOCK = ".sync.lock"  # held while a process moves the live generation's position or swaps
BUILD_LOCK = ".build.lock"  # held for a whole rebuild (and by its worker processes)
# A generation this young may be one that another process has just created and is about to
# point to (an empty index made on first use); never remove it.
YOUNG_SECONDS = 5.0
# Seconds after which a folder's modification time cannot be repeated by a later change
# (2: the coarsest file-system clock resdir may meet).
SETTLED_NS = 2_000_000_000

log = logging.getLogger(__name__)


@contextlib.contextmanager
def file_lock(path: Path, blocking: bool = True):
    """Hold an exclusive flock on `path`; yields False (and holds nothing) when `blocking`
    is off and another process or thread has it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def read_position(folder: Path) -> dict | None:
    try:
        return json.loads((folder / POSITION_FILE).read_text())
    except FileNotFoundError:
        return None


def write_position(folder: Path, position: dict) -> None:
    tmp = folder / f".{POSITION_FILE}.{os.getpid()}.{threading.get_ident()}"
    tmp.write_text(json.dumps(position, sort_keys=True))
    os.replace(tmp, folder / POSITION_FILE)


def clean_orphans(root: Path, live: str | None) -> list[str]:
    """Remove generations that are not live and that no running build owns (a reindex
    killed before its swap, or an old generation a crash kept from being removed)."""
    if not root.is_dir():
        return []
    removed = []
    with file_lock(root / BUILD_LOCK, blocking=False) as free:
        if not free:  # a rebuild is running: its new generation is not live yet
            return []
        now = time.time_ns()
        for folder in root.glob("gen-*"):
            if folder.name == live or not folder.is_dir():
                continue
            try:
                born = int(folder.name.removeprefix("gen-"))
            except ValueError:
                born = 0
            if (now - born) / 1e9 < YOUNG_SECONDS:
                continue
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    if removed:
        log.warning("removed %d orphan index generation(s): %s", len(removed),
                    ", ".join(removed))
    return removed


def open_dir(folder: Path):
    """Whoosh's open_dir without mmap: a mapped segment stays open (file and pages) until
    every buffer Whoosh took from it is garbage-collected, one more per searcher replaced
    after a write; read through the file, it closes with the searcher. (resdir reads each
    posting list once into numpy arrays, so mmap's faster slicing hardly matters, and the
    mapped pages no longer count in every worker's RSS.)"""
    return FileStorage(str(folder), supports_mmap=False).open_index()


OPEN_TRIES = 10


def retried(read):
    """Run `read()` again when a file vanished under it: another process's commit replaces
    the table-of-contents file (and a rebuild the generation folder) between Whoosh listing
    the folder and opening what it found, so FileNotFoundError here means "read again",
    not "broken" (it made a search a 500 and the sync thread log a traceback)."""
    for attempt in range(OPEN_TRIES):
        try:
            return read()
        except FileNotFoundError:
            if attempt + 1 == OPEN_TRIES:
                raise
            time.sleep(0.005 * (attempt + 1))
    return None


def folder_times(root: str, name: str | None) -> tuple[int, int] | None:
    """Modification times of the index folder (a rebuild replaces the pointer file in it)
    and of generation `name` (a commit adds a table of contents); None when one is gone."""
    try:
        return os.stat(root).st_mtime_ns, os.stat(f"{root}/{name}").st_mtime_ns
    except (OSError, TypeError):  # no generation yet, or removed by a rebuild
        return None


def settled(times: tuple[int, int] | None) -> bool:
    """Whether these times may be trusted to change with the next write: a change within
    the file system's clock tick of the last one could leave a folder's time as it was."""
    return times is not None and time.time_ns() - max(times) > SETTLED_NS
