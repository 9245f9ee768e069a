"""Which of resdir's categories an imported taxonomy term means: the crosswalk's rules
(resdir/categorize/crosswalk.py, data/taxonomy_crosswalk.csv, editable by admins at
/categories/crosswalk), looked up most specific first.

Terms of an eligibility ("Human Situations") vocabulary say who a program is for, not what
it offers: they are kept as attributes but give no category.
"""

from __future__ import annotations

from resdir.categorize.crosswalk import Crosswalk
from resdir.categorize.operations import rules


def load() -> Crosswalk:
    """The crosswalk as it is now (the database's rules, else the shipped file's)."""
    return Crosswalk(rules())


def situational(taxonomy_name: str | None) -> bool:
    return bool(taxonomy_name) and "situation" in taxonomy_name.lower()
