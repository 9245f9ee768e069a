"""Which of the rules the project ships as data files a database has been offered.

The taxonomy crosswalk (data/taxonomy_crosswalk.csv) and the need crosswalk
(data/sdoh_needs.csv) are copied into the database, where admins edit them. A release that
ships new rules must reach databases made before it (`resdir init-db` runs at every upgrade)
without bringing back a rule an admin deleted. So each database records the keys of the rules
it has been offered: a key offered once is never offered again, whatever the admin did with it.
A shipped change to a rule the database already has is not applied over it (it may be the
admin's choice); init-db lists such differences instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from resdir.extensions import db


class OfferedRule(db.Model):
    __tablename__ = "offered_rule"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), primary_key=True)


def first_offers(kind: str, keys: Iterable[str]) -> set[str]:
    """The keys of `kind` this database has never been offered; they count as offered from
    now on (in the caller's transaction)."""
    keys = set(keys)
    seen = set(db.session.scalars(select(OfferedRule.key).where(OfferedRule.kind == kind)))
    new = keys - seen
    db.session.add_all(OfferedRule(kind=kind, key=k) for k in sorted(new))
    return new
