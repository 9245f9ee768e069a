"""The HSDS 3.0 read API under /hsds/ (filled in by the HSDS API work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("hsds_api", __name__, url_prefix="/hsds")
