"""Posting lists read from a Whoosh segment into compact numpy arrays.

A segment keeps the posting lists of the terms searches use (resdir/search/segments.py):
at 100,000 programs that is most of the content field, about 4 million postings, which as
int64 docnums and float64 frequencies took 16 bytes each (64 MB in every worker, the
largest part of issue 12's per-worker memory). Here docnums are int32 (a segment holds
far fewer than 2**31 documents) and frequencies uint8 when every one of the list is a whole
number below 256 (a word's count in one program's text: always, in practice), else the
float64 values Whoosh gave: 5 bytes a posting, and the same numbers once used as floats, so
scores do not change.

Reading goes block by block (Whoosh stores a posting list in blocks of up to 128), not
posting by posting through the matcher's id()/weight()/next(): several times faster, so
a list that fell out of the cache costs less to read again.
"""

from __future__ import annotations

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.reading import TermNotFound

NO_DOCS = np.empty(0, dtype=np.int32)
NO_COUNTS = np.empty(0, dtype=np.uint8)
_UINT8_MAX = 255


def compact_weights(weights: np.ndarray) -> np.ndarray:
    """uint8 when every weight is a whole number 0-255 (read back as the same floats),
    else the float64 values unchanged."""
    weights = np.asarray(weights, dtype=np.float64)
    if weights.size and weights.min() >= 0 and weights.max() <= _UINT8_MAX:
        small = weights.astype(np.uint8)
        if np.array_equal(small, weights):
            return small
    return weights


def read_postings(reader, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """(docnums as sorted int32, frequencies as compact_weights) of a term in one segment
    reader, deleted documents included (a view leaves out the current deletions)."""
    try:
        matcher = reader.postings(field, text)
    except TermNotFound:
        return NO_DOCS, NO_COUNTS
    raw = getattr(matcher, "child", matcher)  # under a FilterMatcher when deletions
    if isinstance(raw, W3LeafMatcher) and not raw._byteids:
        return _read_blocks(raw)
    ids, weights = [], []  # another matcher (never seen with Whoosh 2.7's codec)
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.array(ids, dtype=np.int32), compact_weights(np.array(weights))


def _read_blocks(matcher: W3LeafMatcher) -> tuple[np.ndarray, np.ndarray]:
    """Every block of the matcher's posting list as raw Whoosh data (delta-coded ids,
    weights minified: None for all 1.0, one float for all equal, else a tuple), decoded
    with a few numpy operations over the whole list."""
    matcher.reset()  # a FilterMatcher may have moved it past deleted documents
    deltas: list[int] = []
    lengths: list[int] = []
    weights: list[float] = []
    while not matcher._atend:
        matcher._read_data()
        ids, block_weights, _ = matcher._data
        count = matcher._blocklength
        deltas.extend(ids)
        lengths.append(count)
        if block_weights is None:
            weights.extend([1.0] * count)
        elif isinstance(block_weights, float):
            weights.extend([block_weights] * count)
        else:
            weights.extend(block_weights)
        matcher._next_block()
    if not deltas:
        return NO_DOCS, NO_COUNTS
    # Each block's ids are deltas from 0 (its first id is absolute): one running sum over
    # the list, minus the sum before each block's start.
    summed = np.cumsum(np.array(deltas, dtype=np.int64))
    starts = np.cumsum(np.array(lengths[:-1], dtype=np.int64))
    before = np.zeros(len(lengths), dtype=np.int64)
    before[1:] = summed[starts - 1]
    docs = (summed - np.repeat(before, lengths)).astype(np.int32)
    return docs, compact_weights(np.array(weights))


def postings_bytes(postings: tuple[np.ndarray, np.ndarray]) -> int:
    return int(postings[0].nbytes + postings[1].nbytes)
