"""Security headers on every response."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, g, request


def tile_origin(url: str) -> str:
    """The origin of a Leaflet tile URL template, as a CSP source ({s} subdomains: *)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"


@lru_cache(maxsize=8)  # the same on every response
def content_security_policy(tile_url: str) -> str:
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self' data: {tile_origin(tile_url)}".rstrip(),  # map tiles
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ])


# Sent on every response, the same each time.
FIXED_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def init_app(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers["Content-Security-Policy"] = content_security_policy(
            app.config["RESDIR_MAP_TILE_URL"])
        for name, value in FIXED_HEADERS:
            headers[name] = value
        # The request and g looked up once each (this runs after every request: issue 12).
        now = request._get_current_object()
        if now.is_secure:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        # Anything shown to a signed-in person may hold client data: never store it.
        state = g._get_current_object()
        if getattr(state, "user", None) is not None or getattr(state, "pending", None) \
                is not None or now.environ.get("HTTP_AUTHORIZATION"):
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        return response
