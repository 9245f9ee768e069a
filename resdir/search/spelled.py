"""Values a document spells out in one term each (ages, weekly hours, the verification
day), as masks and arrays over a view's documents: a query reads the few distinct values
from the field's lexicon, not one term per hour or per year (resdir/search/schema.py)."""

from __future__ import annotations

from datetime import date

import numpy as np

from resdir.search.schema import parse_age, parse_week

OPEN_MASKS = 64  # minutes of the week whose "open" masks a view keeps


class SpelledValues:
    """Mixed into View, whose `size`, `lexicon`, `ids`, `_masks`, `_lock`, `_weeks` and
    `_verified` these read and fill."""

    # A mask per age (up to 121) or per minute of the week (up to 64 kept) took 100 kB each
    # at 100,000 programs (20 MB of a worker after thousands of varied searches, issue 12),
    # while most of them were equal: ages and minutes that the same spelled-out terms
    # include. Each is now the one mask of its set of terms ("terms" entries), shared.

    def age_mask(self, age: int) -> np.ndarray:
        """Docs whose age range includes `age`, or that take any age."""
        key = ("age", age)
        found = self._masks.get(key)
        if found is None:
            terms = tuple(term for term in self.lexicon("age")
                          if (span := parse_age(term)) is None  # None for "any"
                          or span[0] <= age <= span[1])
            found = self._masks[key] = self._terms_mask("age", terms)
        return found

    def open_mask(self, minute: int) -> np.ndarray:
        """Docs whose weekly hours include minute-of-week `minute`."""
        key = ("week", minute)
        found = self._masks.get(key)
        if found is None:
            if self._weeks is None:
                self._weeks = [(term, parse_week(term)) for term in self.lexicon("week")]
            terms = tuple(term for term, spans in self._weeks
                          if any(start <= minute < end for start, end in spans))
            found = self._terms_mask("week", terms)
            with self._lock:
                self._masks[key] = found
                # list(): one step under the GIL (other threads add masks without the lock)
                minutes = [k for k in list(self._masks) if k[0] == "week"]
                if len(minutes) > OPEN_MASKS:
                    self._masks.pop(minutes[0], None)
                    # The term sets no kept minute uses any more go too.
                    used = {id(self._masks[k]) for k in minutes[1:]}
                    for k, v in list(self._masks.items()):
                        if k[:2] == ("terms", "week") and id(v) not in used:
                            del self._masks[k]
        return found

    def _terms_mask(self, field: str, terms: tuple[str, ...]) -> np.ndarray:
        """Docs with any of `terms` in `field` (kept once per set of terms)."""
        key = ("terms", field, terms)
        found = self._masks.get(key)
        if found is None:
            found = np.zeros(self.size, dtype=bool)
            for term in terms:
                found[self.ids(field, term)] = True
            found = self._masks.setdefault(key, found)
        return found

    def verified_days(self) -> np.ndarray:
        """Each doc's last verification as a day ordinal (0 when never verified)."""
        if self._verified is None:
            days = np.zeros(self.size, dtype=np.int64)
            for term in self.lexicon("verified"):
                try:
                    day = date.fromisoformat(term).toordinal()
                except ValueError:  # "never"
                    continue
                days[self.ids("verified", term)] = day
            self._verified = days
        return self._verified
