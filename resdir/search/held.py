"""What an open searcher holds: every file it will read, opened when it opens (another
process's commit that merges segments removes their files, and Whoosh opens some lazily),
and closed with it (Whoosh leaves compound files open until a garbage collection)."""

from __future__ import annotations

from whoosh.codec import whoosh3


def held_searcher(ix):
    """A searcher of `ix` that holds every file it will read (hold_files); FileNotFoundError
    when a commit came meanwhile (some may be gone): the caller opens the index again."""
    searcher = ix.searcher()
    try:
        held = hold_files(searcher)
    except BaseException:
        close_searcher(searcher)
        raise
    if not held:
        close_searcher(searcher)
        raise FileNotFoundError("the index changed while its files were being opened")
    return searcher


def hold_files(searcher) -> bool:
    """Open now every per-document file the view will read (stored fields, field lengths,
    the geo and name columns) of every segment, and return whether the index is still at
    the searcher's generation. Whoosh opens these files on first use, and another process's
    commit that merges a segment removes its files: a search reading a segment for the first
    time after that got no stored fields (TypeError, a 500) and empty points and lengths.
    Files opened before the next commit stay readable (POSIX), so a True answer means the
    view can read everything it will ever need."""
    if searcher.reader().generation() is None:  # an empty index: no segment files
        return True
    for leaf, _ in searcher.reader().leaf_readers():
        perdoc = getattr(leaf, "_perdoc", None)
        if perdoc is None:  # not a W3 segment reader (an empty index)
            continue
        for name, column in _columns(leaf.schema):
            perdoc._cached_reader(name, column)
    return searcher.up_to_date()


def _columns(schema):
    yield "_stored", whoosh3.STORED_COLUMN
    for name, field in schema.items():
        if field.scorable:
            yield whoosh3._lenfield(name), whoosh3.LENGTHS_COLUMN
        if field.column_type is not None:
            yield name, field.column_type


def column(reader, name: str):
    """A segment's column `name` as hold_files opened it (not reader.column_reader, which
    asks the disk again whether the file exists); None when the segment has none."""
    return reader._perdoc._cached_reader(name, reader.schema[name].column_type)


def close_searcher(searcher) -> None:
    """Close a searcher and its segments' compound files. Whoosh's own close leaves each
    compound file (and its mmap) open until the garbage collector finds it (its
    OverlayStorage has no close): one open file per segment for every searcher replaced."""
    leaves = [leaf for leaf, _ in searcher.reader().leaf_readers()]
    searcher.close()
    close_compound_files(leaves)


def close_compound_files(leaves) -> None:
    """Close the compound files of these (closed) segment readers."""
    for leaf in leaves:
        compound = getattr(leaf.storage(), "a", None)  # OverlayStorage(compound, folder)
        if compound is not None and not getattr(compound, "is_closed", True):
            compound.close()
