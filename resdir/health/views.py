"""`GET /healthz`: is this node fit to serve? 200 when it is, 503 when not, JSON either way.

No sign-in (a load balancer has none), no session, no audit row, nothing about any client or
user: only whether the database answers and how far this node's search index is behind the
database's change log. A node whose index is missing or lags by more than
RESDIR_HEALTH_MAX_LAG_SECONDS answers 503, so the load balancer sends searches elsewhere
while it catches up or rebuilds.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from resdir.directory import index_state
from resdir.extensions import db, limiter

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    problems = []
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError as exc:
        db.session.rollback()
        # The class only: a driver message can carry the URL (and its password).
        log.warning("health check: database unreachable (%s)", exc.__class__.__name__)
        database = "unreachable"
        problems.append("database unreachable")
    index = index_state.health(database_ok=database == "ok")
    if not index["present"]:
        problems.append("search index missing")
    elif index["lag_seconds"] is not None and (
        index["lag_seconds"] > current_app.config["RESDIR_HEALTH_MAX_LAG_SECONDS"]
    ):
        problems.append("search index behind the change log")
    db.session.rollback()  # end the read transaction now, not at teardown
    body = {"status": "unhealthy" if problems else "ok", "problems": problems,
            "database": database, "index": index}
    response = jsonify(body)
    response.status_code = 503 if problems else 200
    response.headers["Cache-Control"] = "no-store"
    return response
