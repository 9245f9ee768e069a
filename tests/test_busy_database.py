"""Signed-in pages keep working while another process holds the database's write lock
(issue 9.4: `resdir import` made every signed-in page a 500 "database is locked")."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from resdir.auth.models import ApiToken, UserSession
from resdir.extensions import db

HOLD_SECONDS = 8


class LockHolder:
    """A real second connection that takes the write lock (SQLite) or the session rows'
    locks (PostgreSQL) and keeps it until released or HOLD_SECONDS pass."""

    def __init__(self, url: str):
        self.url = url
        self.taken = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self):
        if self.url.startswith("sqlite"):
            import sqlite3

            conn = sqlite3.connect(self.url.removeprefix("sqlite:///"), isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")  # what an import's first flush does
            conn.execute("INSERT INTO rate_limit_counter VALUES ('busy', 1, 0)")
        else:
            from sqlalchemy.engine import make_url

            url = make_url(self.url)
            conn = psycopg.connect(dbname=url.database, user=url.username,
                                   host=url.query["host"], port=int(url.query["port"]))
            conn.execute("SELECT id FROM user_session FOR UPDATE")
            conn.execute("SELECT id FROM api_token FOR UPDATE")
        self.taken.set()
        self.release.wait(HOLD_SECONDS)
        conn.rollback()
        conn.close()

    def __enter__(self):
        self.thread.start()
        assert self.taken.wait(10)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(10)


def _age(app, model, column, seconds):
    with app.app_context():
        for row in db.session.query(model):
            setattr(row, column, datetime.now(UTC) - timedelta(seconds=seconds))
        db.session.commit()


def _seen(app, model, column):
    with app.app_context():
        return {getattr(r, column).replace(tzinfo=UTC) for r in db.session.query(model)
                if getattr(r, column)}


def test_signed_in_pages_and_api_work_while_another_process_holds_the_lock(app, people,
                                                                           caplog):
    browser = people.login(app.test_client(), "agency_a")
    api = app.test_client()
    _age(app, UserSession, "last_seen_at", 120)
    _age(app, ApiToken, "last_used_at", 120)
    with LockHolder(app.config["RESDIR_DATABASE_URL"]):
        started = time.monotonic()
        page = browser.get("/agency/")
        me = api.get("/api/v1/me", headers=people.bearer("agency_a"))
        elapsed = time.monotonic() - started
    assert page.status_code == 200 and "My listings" in page.get_data(as_text=True)
    assert me.status_code == 200
    assert elapsed < HOLD_SECONDS / 2  # answered while the lock was still held
    assert "not updated (database busy" in caplog.text
    # Once the lock is gone, the next request records the use.
    browser.get("/agency/")
    assert max(_seen(app, UserSession, "last_seen_at")) > datetime.now(UTC) - timedelta(
        seconds=30)


@pytest.mark.parametrize("age, written", [(30, False), (90, True)])
def test_last_seen_is_written_at_most_once_a_minute(app, people, age, written):
    browser = people.login(app.test_client(), "agency_a")
    _age(app, UserSession, "last_seen_at", age)
    (before,) = _seen(app, UserSession, "last_seen_at")
    assert browser.get("/agency/").status_code == 200
    (after,) = _seen(app, UserSession, "last_seen_at")
    assert (after > before) is written
