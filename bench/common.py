"""Pieces every benchmark script shares: the synthetic-directory options and the clean-up.

The scripts run as `python bench/NAME.py`, so this folder is on sys.path and `import common`
finds this module.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path


def data_arguments(parser: argparse.ArgumentParser, reuse_help: str) -> None:
    """--n, --seed, --workdir, --procs, --keep and --reuse-db: the synthetic directory's size
    and seed, and where its database and index live (bench/search.py, match.py, public.py)."""
    parser.add_argument("--n", type=int, default=100_000, help="programs (default 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", help="folder for the database and indexes (default: temp)")
    parser.add_argument("--procs", type=int, default=1, help="Whoosh writer processes")
    parser.add_argument("--keep", action="store_true", help="keep the temporary workdir")
    parser.add_argument("--reuse-db", action="store_true", help=reuse_help)


def remove_workdir(workdir: Path, keep: bool) -> None:
    """Remove the benchmark's folder, or say where it was kept."""
    if keep:
        print(f"kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


def stop_and_clean(pg, workdir: Path, keep: bool) -> None:
    """A run's `finally`: stop the PostgreSQL server it started (if any), then the folder."""
    if pg is not None:
        pg.stop()
    remove_workdir(workdir, keep)
