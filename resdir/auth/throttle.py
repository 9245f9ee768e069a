"""Rate-limit counters in the app's own database, shared by every process and machine.

Flask-Limiter keeps its counters in a `limits` storage chosen by a URI. `memory://` gives
each gunicorn worker its own budget (4 workers let 20 guesses a minute through a limit of
5), and Redis is one more server to run. `database://` (the default) keeps fixed-window
counters in the `rate_limit_counter` table: one atomic upsert per attempt, on SQLite and
PostgreSQL alike, committed on its own connection so a refused or failed request still
counts. Large installs may point `RESDIR_RATELIMIT_STORAGE_URI` at `redis://host:6379`.
"""

from __future__ import annotations

import hashlib
import random
import time

from limits.storage import Storage
from sqlalchemy import case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from resdir.auth.models import RateLimitCounter
from resdir.extensions import db

TABLE = RateLimitCounter.__table__
PRUNE_CHANCE = 0.01  # about one attempt in a hundred also removes expired counters


def _digest(key: str) -> str:
    # Keys hold e-mail addresses of any length; the table keeps a fixed-size hash.
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class DatabaseStorage(Storage):
    """A `limits` storage on the app's SQLAlchemy engine (fixed-window strategy)."""

    STORAGE_SCHEME = ["database"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    @staticmethod
    def _engine():
        return db.engine

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        engine = self._engine()
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(TABLE).values(key=_digest(key), count=amount,
                                              expires_at=now + expiry)
        expired = TABLE.c.expires_at <= now
        # One statement: concurrent attempts from any process serialize on the row.
        statement = insert.on_conflict_do_update(
            index_elements=[TABLE.c.key],
            set_={"count": case((expired, amount), else_=TABLE.c.count + amount),
                  "expires_at": case((expired, now + expiry), else_=TABLE.c.expires_at)},
        ).returning(TABLE.c.count)
        with engine.begin() as connection:
            count = connection.execute(statement).scalar_one()
            if random.random() < PRUNE_CHANCE:
                connection.execute(delete(TABLE).where(TABLE.c.expires_at <= now))
        return count

    def get(self, key: str) -> int:
        with self._engine().connect() as connection:
            count = connection.scalar(select(TABLE.c.count).where(
                TABLE.c.key == _digest(key), TABLE.c.expires_at > time.time()))
        return count or 0

    def get_expiry(self, key: str) -> float:
        with self._engine().connect() as connection:
            expires = connection.scalar(select(TABLE.c.expires_at).where(
                TABLE.c.key == _digest(key)))
        return expires if expires is not None else time.time()

    def check(self) -> bool:
        try:
            with self._engine().connect() as connection:
                connection.scalar(select(func.count()).select_from(TABLE))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self._engine().begin() as connection:
            return connection.execute(delete(TABLE)).rowcount

    def clear(self, key: str) -> None:
        with self._engine().begin() as connection:
            connection.execute(delete(TABLE).where(TABLE.c.key == _digest(key)))


def prune() -> int:
    """Remove expired counters (the scheduler calls this; attempts also do, now and then)."""
    with db.engine.begin() as connection:
        return connection.execute(delete(TABLE).where(TABLE.c.expires_at <= time.time())).rowcount
