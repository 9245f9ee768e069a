"""Extension objects, created unbound and attached in :func:`resdir.create_app`."""

from __future__ import annotations

import functools

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
# Flask-Limiter's private hook names (4.x): looked up with getattr so that a release that
# renames them runs every hook as before, only not faster.
_INJECT_HEADERS = getattr(Limiter, "_Limiter__inject_headers", None)  # after-request
# Endpoints that have no limit and answer anonymous reads at a high rate (the search API):
# the limiter's request hooks are not run for them at all (init_limiter), 0.15-0.2 ms of
# every request before (issue 12). Never list an endpoint that has a limit of its own.
UNLIMITED_ENDPOINTS: set[str] = set()


@limiter.request_filter
def _unlimited() -> bool:
    return request.endpoint in UNLIMITED_ENDPOINTS


def init_limiter(app) -> None:
    """limiter.init_app, with its three request hooks passed over for UNLIMITED_ENDPOINTS.
    For those its before-request hook found no limit (the request filter above) only after
    looking the view up and going through its limit machinery (~40 us), its after-request
    hook then had no limit to put in headers, and its teardown only cleared what the first
    made: skipping all three changes nothing but the time (~55 us of a search)."""
    limiter.init_app(app)
    ours = [hook for hook in (getattr(limiter, "_check_request_limit", None),
                              getattr(limiter, "_Limiter__release_context", None)) if hook]

    def skipping(hook):
        @functools.wraps(hook)
        def run(*args):
            if request.endpoint in UNLIMITED_ENDPOINTS:
                return args[0] if args else None  # after-request: the response as it is
            return hook(*args)
        return run

    for funcs in (app.before_request_funcs, app.after_request_funcs,
                  app.teardown_request_funcs):
        hooks = funcs.get(None, [])
        for i, hook in enumerate(hooks):
            if hook in ours or (_INJECT_HEADERS is not None
                                and getattr(hook, "func", None) is _INJECT_HEADERS):
                hooks[i] = skipping(hook)
