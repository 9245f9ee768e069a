"""The word list "did you mean" reads: `words.txt` in each index generation, one
"word count" line per unstemmed word with how many programs use it."""

from __future__ import annotations

import os
import threading
from collections import Counter
from pathlib import Path

WORDS_FILE = "words.txt"
_cache: dict[Path, tuple[tuple[int, int], tuple[list[str], dict[str, int]]]] = {}


def _counts(path: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            word, _, count = line.rpartition(" ")
            if word:
                counts[word] = int(count)
    return counts


def read_words(folder: Path | None) -> tuple[list[str], dict[str, int]]:
    """Sorted words with their counts; read again only when the file changed."""
    if folder is None:
        return [], {}
    path = folder / WORDS_FILE
    try:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
    except FileNotFoundError:
        return [], {}
    got = _cache.get(path)
    if got is None or got[0] != stamp:
        counts = _counts(path)
        got = _cache[path] = (stamp, (sorted(counts), counts))
    return got[1]


def add_words(folder: Path, words: Counter) -> None:
    """Merge words into the generation's word list (counts only ever grow: a word that no
    longer matches anything costs a suggestion that finds nothing). Call it holding the
    index writer's lock, so two updates do not lose each other's words."""
    if not words:
        return
    path = folder / WORDS_FILE
    words.update(_counts(path))
    tmp = folder / f".{WORDS_FILE}.{os.getpid()}.{threading.get_ident()}"
    tmp.write_text("".join(f"{w} {c}\n" for w, c in sorted(words.items())), encoding="utf-8")
    os.replace(tmp, path)
