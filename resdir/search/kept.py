"""What a process keeps between searches, bounded and compact (issue 12: per-worker memory
at 100,000 programs): least-recently-used caches bounded in number and weight, names end to
end in one bytes object, API answers compressed."""

from __future__ import annotations

import threading
import zlib
from array import array
from collections import OrderedDict
from itertools import accumulate


class Bounded:
    """At most `size` entries, the least recently used dropped first; safe across threads
    (put takes the lock: it reorders, drops and keeps the weight in step). With
    `weigh`, also at most `budget` in all by that measure (a posting list's length)."""

    def __init__(self, size: int, budget: int | None = None, weigh=None):
        self.size = size
        self.budget, self.weigh, self.weight = budget, weigh, 0
        self.lock = threading.Lock()
        self.items: OrderedDict = OrderedDict()

    def get(self, key):
        # No lock: each OrderedDict call is atomic under the GIL, and an entry another
        # thread drops between the two is simply not moved (a search asks for dozens).
        found = self.items.get(key)
        if found is not None:
            try:  # noqa: SIM105 (contextlib.suppress costs more, on every cell of a search)
                self.items.move_to_end(key)
            except KeyError:
                pass
        return found

    def put(self, key, value) -> list:
        """Keep `value`; return the keys dropped to make room."""
        dropped = []
        with self.lock:
            weigh = self.weigh
            if weigh is not None:
                old = self.items.get(key)
                self.weight += weigh(value) - (weigh(old) if old is not None else 0)
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > 1 and (
                    len(self.items) > self.size
                    or (weigh is not None and self.weight > self.budget)):
                gone, value = self.items.popitem(last=False)
                if weigh is not None:
                    self.weight -= weigh(value)
                dropped.append(gone)
        return dropped

    def __len__(self) -> int:
        return len(self.items)


class PackedNames:
    """Byte strings stored end to end in one bytes object, with where each ends: a list of
    100,000 names took 6.7 MB (a bytes object is 33 bytes before its text), this half."""

    def __init__(self, items: list[bytes]):
        self.blob = b"".join(items)
        self.ends = array("Q", accumulate(map(len, items)))

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, i: int) -> bytes:
        return self.blob[self.ends[i - 1] if i else 0:self.ends[i]]

    def __iter__(self):
        blob, start = self.blob, 0
        for end in self.ends:
            yield blob[start:end]
            start = end


ANSWER_BYTES = 6 * 2**20  # compressed answers a view keeps at most, besides their number


class PackedAnswers(Bounded):
    """Whole API answers (JSON bytes) for repeated queries, zlib-compressed (level 1): a
    page of 20 results is about 9-13 kB of JSON and a third of that compressed, so the
    1,000 answers kept by default take 3-4 MB instead of 8-13. An answer is compressed when
    it is first asked for again, not when it is made: compressing a 5 kB answer took 90-130
    us here (zlib sets up its tables for each), a tenth of a search that no other asks for
    (most, with varied queries; issue 12); reading one back takes about 25 us. At most
    `size` answers and ANSWER_BYTES in all, counting the ones not yet compressed whole
    (answers with 100 results a page are five times the size)."""

    def __init__(self, size: int, budget: int = ANSWER_BYTES):
        super().__init__(size, budget, _weight)

    def get(self, key):
        found = super().get(key)
        if isinstance(found, tuple):  # (answer,): not asked for again until now
            super().put(key, zlib.compress(found[0], 1))
            return found[0]
        return zlib.decompress(found) if isinstance(found, bytes) else found

    def put(self, key, value) -> list:
        return super().put(key, (value,) if isinstance(value, bytes) else value)


def _weight(value) -> int:
    if isinstance(value, tuple):
        return len(value[0])
    return len(value) if isinstance(value, bytes) else 0
