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

    def age_mask(self, age: int) -> np.ndarray:
        """Docs whose age range includes `age`, or that take any age."""
        key = ("age", age)
        found = self._masks.get(key)
        if found is None:
            found = np.zeros(self.size, dtype=bool)
            for term in self.lexicon("age"):
                span = parse_age(term)  # None for "any"
                if span is None or span[0] <= age <= span[1]:
                    found[self.ids("age", term)] = True
            self._masks[key] = found
        return found

    def open_mask(self, minute: int) -> np.ndarray:
        """Docs whose weekly hours include minute-of-week `minute`."""
        key = ("week", minute)
        found = self._masks.get(key)
        if found is None:
            found = np.zeros(self.size, dtype=bool)
            if self._weeks is None:
                self._weeks = [(term, parse_week(term)) for term in self.lexicon("week")]
            for term, spans in self._weeks:
                if any(start <= minute < end for start, end in spans):
                    found[self.ids("week", term)] = True
            with self._lock:
                self._masks[key] = found
                minutes = [k for k in self._masks if k[0] == "week"]
                if len(minutes) > OPEN_MASKS:
                    self._masks.pop(minutes[0], None)
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
