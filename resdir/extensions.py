"""Extension objects, created unbound and attached in :func:`resdir.create_app`."""

from __future__ import annotations

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints so that migrations work the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True)  # batch mode lets SQLite alter tables
csrf = CSRFProtect()
# No default limits: only sign-in and similar routes are limited, each by its own rule.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# Endpoints that have no limit and answer anonymous reads at a high rate (the search API):
# the limiter lets them through before working out which limits apply, 0.15-0.2 ms of
# every request (issue 12). Never list an endpoint that has a limit of its own.
UNLIMITED_ENDPOINTS: set[str] = set()


@limiter.request_filter
def _unlimited() -> bool:
    return request.endpoint in UNLIMITED_ENDPOINTS
