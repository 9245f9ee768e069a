"""Every setting resdir reads, with its default and what it is for.

Each setting can be overridden by an environment variable named ``RESDIR_<NAME>``.
Nothing here reads the environment at import time: :func:`load` does, when the app
is created.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    kind: type = str


def _instance(app_instance_path: str, *parts: str) -> str:
    return str(Path(app_instance_path, *parts))


# Defaults that depend on the instance folder are callables taking that folder.
SETTINGS: list[Setting] = [
    Setting(
        "DATABASE_URL",
        lambda inst: "sqlite:///" + _instance(inst, "resdir.sqlite3"),
        "SQLAlchemy URL of the database (PostgreSQL in production).",
    ),
    Setting(
        "INDEX_DIR",
        lambda inst: _instance(inst, "index"),
        "Folder of the Whoosh search index (a rebuildable cache of the database).",
    ),
    Setting(
        "SECRET_KEY",
        "dev-only-change-me",
        "Key that signs sessions; set a long random value in production.",
    ),
    Setting(
        "SEED_FILE",
        lambda inst: str(Path(__file__).resolve().parent.parent / "data" / "seed_resources.csv"),
        "Directory CSV that `resdir setup` loads into an empty database.",
    ),
    Setting(
        "GEOCODER",
        "gazetteer",
        "Geocoder for addresses: `gazetteer` (offline ZIP centroids) or a geopy name "
        "such as `nominatim`.",
    ),
    Setting(
        "GEOCODER_USER_AGENT",
        "resdir",
        "User agent sent to an online geocoder (required by Nominatim's usage policy).",
    ),
    Setting("DEFAULT_RADIUS_MI", 10.0, "Radius used when a ZIP is given without one.", float),
    Setting("MAX_RADIUS_MI", 250.0, "Largest search radius accepted, in miles.", float),
    Setting("PER_PAGE", 20, "Results per page when the request does not say.", int),
    Setting("MAX_PER_PAGE", 100, "Largest page size the API accepts.", int),
    Setting(
        "STALE_AFTER_DAYS",
        180,
        "A listing not verified for this many days is flagged as possibly out of date.",
        int,
    ),
    Setting(
        "DEFAULT_TIMEZONE",
        "America/New_York",
        "Time zone of programs whose location has no known time zone.",
    ),
    Setting("BASE_URL", "http://127.0.0.1:5000", "Public address of the app, used in links."),
    Setting(
        "PASSWORD_HASH_TIME_COST",
        3,
        "argon2id passes per password hash (argon2-cffi's default; raise it on fast hardware, "
        "stored hashes keep their own cost).",
        int,
    ),
    Setting(
        "PASSWORD_HASH_MEMORY_KIB",
        65536,
        "argon2id memory per password hash, in KiB (64 MiB, argon2-cffi's default).",
        int,
    ),
    Setting("SESSION_IDLE_MINUTES", 15, "A browser session ends after this long unused.", int),
    Setting("SESSION_MAX_HOURS", 12, "A browser session ends this long after sign-in.", int),
    Setting("SETUP_LINK_HOURS", 72, "A one-time set-password link works this long.", int),
    Setting(
        "COOKIE_SECURE",
        False,
        "Always mark the session cookie Secure (it is Secure anyway on https requests).",
        bool,
    ),
    Setting(
        "PROXY_COUNT",
        0,
        "Reverse proxies in front of the app whose X-Forwarded-* headers are trusted.",
        int,
    ),
    Setting(
        "RATELIMIT_STORAGE_URI",
        "database://",
        "Where rate-limit counters live: `database://` (the app's database, shared by every "
        "process and machine) or `redis://host:6379` for large installs.",
    ),
    Setting("LOGIN_LIMIT_ADDRESS", "20/minute;200/hour", "Sign-in attempts allowed per address."),
    Setting("LOGIN_LIMIT_ACCOUNT", "5/minute;30/hour", "Sign-in attempts allowed per e-mail."),
    Setting("SECOND_FACTOR_LIMIT_ACCOUNT", "5/minute;30/hour",
            "Authenticator codes one account may try (on top of the per-address limit)."),
    Setting("SECOND_FACTOR_LOCKOUT_FAILURES", 10,
            "Wrong authenticator codes in a row that lock the account's second step.", int),
    Setting("SECOND_FACTOR_LOCKOUT_MINUTES", 30,
            "How long the second step stays locked after too many wrong codes.", int),
    Setting("TOTP_ISSUER", "resdir", "Name shown in authenticator apps for the second factor."),
    Setting("MATCH_RADIUS_MI", 25.0, "How far from the client matching looks, in miles.", float),
    Setting(
        "MATCH_CANDIDATES",
        60,
        "Programs considered per need (nearest or most relevant first) before ranking.",
        int,
    ),
    Setting("RESPOND_WITHIN_BUSINESS_DAYS", 2,
            "An agency should accept or reject a referral within this many business days.", int),
    Setting("CLOSE_WITHIN_DAYS", 30, "A referral should be closed within this many days.", int),
    Setting("SMTP_HOST", "localhost", "Mail server for notifications."),
    Setting("SMTP_PORT", 25, "Port of the mail server.", int),
    Setting("SMTP_STARTTLS", False, "Upgrade the mail connection with STARTTLS.", bool),
    Setting("SMTP_USER", "", "Mail server login (empty: none)."),
    Setting("SMTP_PASSWORD", "", "Mail server password."),
    Setting("MAIL_SENDER", "resdir <no-reply@resdir.invalid>", "From address of notifications."),
    Setting("MAIL_ENABLED", True, "Send notification e-mail at all.", bool),
    Setting("MAIL_FOLDER", "",
            "Write e-mail as .eml files in this folder instead of SMTP (make run: instance/mail)."),
    Setting("MAX_UPLOAD_MB", 20.0,
            "Largest request body (Flask's MAX_CONTENT_LENGTH): bigger uploads get 413; import "
            "bigger files with `resdir import`.", float),
    Setting("MAX_UNPACKED_MB", 100.0,
            "Largest total an uploaded zip may unpack to; checked while unpacking.", float),
    Setting("MAX_ZIP_RATIO", 100,
            "Largest unpacked-to-packed size ratio of an uploaded zip (zip bombs).", int),
    Setting("IMPORT_DIR", "",
            "Where uploaded directory files wait for their import job (empty: "
            "instance/imports). Shared storage when `resdir worker` runs on other machines.",),
    Setting("IMPORT_WAIT_SECONDS", 10.0,
            "An uploaded directory file is imported in the background; the upload's answer "
            "waits this long for its report, then shows the import's progress page.", float),
    Setting("WORKER_INTERVAL_SECONDS", 60,
            "How often `resdir worker` looks for due jobs (reminders, verification mail).", int),
    Setting("WORKER_BATCH", 200, "Most mails one job sends per worker tick.", int),
    Setting(
        "FHIR_CANONICAL",
        "",
        "Fixed canonical base of resdir's FHIR code systems (empty: RESDIR_BASE_URL + /fhir).",
    ),
    Setting(
        "INDEX_SYNC",
        True,
        "Apply a request's own index changes right after its commit (off: the background "
        "sync or `resdir sync-index` applies them).",
        bool,
    ),
    Setting(
        "INDEX_POLL_SECONDS",
        1.0,
        "How often each app process reads the index change log for other nodes' changes "
        "(0: no background thread).",
        float,
    ),
    Setting(
        "SEARCH_CACHE_ENTRIES",
        1000,
        "API search answers each app process keeps for repeated queries (compressed, at "
        "most 6 MB of them); any change to its index starts afresh (0: none).",
        int,
    ),
    Setting(
        "INDEX_LOG_RETENTION_HOURS",
        168,
        "Index change-log rows are kept this long; a node further behind rebuilds its index.",
        int,
    ),
    Setting(
        "INDEX_REBUILD_BACKLOG",
        5000,
        "A node more than this many change-log rows behind rebuilds its index instead of "
        "catching up row by row (slower per program than a rebuild); 0: never.",
        int,
    ),
    Setting(
        "MAP_TILE_URL",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "Map tiles beside search results (Leaflet URL template; its origin is allowed in "
        "the page's Content-Security-Policy). Results work without tiles.",
    ),
    Setting(
        "MAP_ATTRIBUTION",
        "© OpenStreetMap contributors",
        "Credit shown on the map for the tiles (the tile provider's licence requires one).",
    ),
    Setting(
        "HEALTH_MAX_LAG_SECONDS",
        300,
        "`/healthz` answers 503 when the oldest change this node's index has not applied "
        "is older than this.",
        int,
    ),
]


def _coerce(setting: Setting, raw: str) -> Any:
    if setting.kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return setting.kind(raw)


def load(instance_path: str, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Return Flask config for every setting: environment first, then the default."""
    environ = os.environ if environ is None else environ
    config: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get("RESDIR_" + setting.name)
        if raw is not None:
            value = _coerce(setting, raw)
        elif callable(setting.default):
            value = setting.default(instance_path)
        else:
            value = setting.default
        config["RESDIR_" + setting.name] = value
    config["SECRET_KEY"] = config["RESDIR_SECRET_KEY"]
    config["SESSION_COOKIE_SECURE"] = config["RESDIR_COOKIE_SECURE"]
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["RATELIMIT_STORAGE_URI"] = config["RESDIR_RATELIMIT_STORAGE_URI"]
    config["SQLALCHEMY_DATABASE_URI"] = config["RESDIR_DATABASE_URL"]
    config["MAX_CONTENT_LENGTH"] = max_content_length(config)
    return config


def max_content_length(config: dict[str, Any]) -> int:
    return int(config["RESDIR_MAX_UPLOAD_MB"] * 1024 * 1024)
