"""Configuration: defaults, then ``PORTAL_*`` environment variables, then test overrides."""

from pathlib import Path

from flask import Flask
from flask.helpers import get_debug_flag

# A development key, known to everyone who reads this file: refused outside debug, demo and tests.
DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

DEFAULTS = {
    "SECRET_KEY": DEV_SECRET_KEY,
    "SECRET_KEY_FALLBACKS": [],
    "BASE_URL": "http://127.0.0.1:5000",
    "LINK_MAX_AGE_DAYS": 365,
    "STATUS_POLL_SECONDS": 60,
    "DESK_PAGE_SIZE": 50,
    "DEMO": False,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_HTTPONLY": True,
    "WTF_CSRF_TIME_LIMIT": None,
    "BABEL_DEFAULT_LOCALE": "en",
    "TIMEZONE": "Europe/Stockholm",
    "SMTP_URL": None,
    "MAIL_FROM": "Candidate portal <no-reply@localhost>",
    "OUTBOX_MAX_ATTEMPTS": 8,
    "OUTBOX_BATCH_SIZE": 50,
    "OUTBOX_POLL_SECONDS": 2,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": False,
    # The lookup widget ("email me my status links"): per client IP, and per typed address.
    "LOOKUP_LIMIT_PER_IP": "10/hour;3/minute",
    "LOOKUP_LIMIT_PER_ADDRESS": "3/hour",
    # Outgoing webhooks: private/loopback targets only when this is true (default: only in
    # debug mode and the demo); attempts before a delivery counts as failed; per-request timeout.
    "WEBHOOKS_ALLOW_PRIVATE": None,
    "WEBHOOK_MAX_ATTEMPTS": 12,
    "WEBHOOK_TIMEOUT_SECONDS": 10,
    # Requests per API token (flask-limiter syntax).
    "API_RATE_LIMIT": "120/minute",
    # Recruiter sign-in: failed attempts per client address and per account tried.
    "LOGIN_LIMIT_PER_ADDRESS": "30/hour;10/minute",
    "LOGIN_LIMIT_PER_ACCOUNT": "20/hour;5/minute",
    # Host names the portal answers to (others get 400); empty: any (links never use Host).
    "TRUSTED_HOSTS": None,
    # Applications closed longer than this are anonymised by `portal retention run`.
    "RETENTION_DAYS": 730,
    # How long a candidate's erasure confirmation link works.
    "ERASURE_LINK_HOURS": 24,
    "OUTBOX_FOLDER": None,  # without SMTP_URL: where .eml files go (default instance/outbox)
    # The speed layer (portal/web/hotpath.py, localized.py, fast_poll.py and the status page's
    # driver-level reads); false: the plain Flask path, same answers (README "Fast paths").
    "FAST_PATHS": True,
}

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


class InsecureSecretKeyError(RuntimeError):
    """Raised when the development secret key would be used in production."""


def load_config(app: Flask, test_config: dict | None) -> None:
    """Fill ``app.config`` from defaults, the environment and the test overrides."""
    app.config.from_mapping(DEFAULTS)
    app.config["DATABASE_URL"] = "sqlite:///" + str(Path(app.instance_path) / "portal.sqlite3")
    app.config.from_prefixed_env("PORTAL")
    if test_config:
        app.config.from_mapping(test_config)
    _normalise(app)


def _normalise(app: Flask) -> None:
    config = app.config
    # from_prefixed_env parses values as JSON: an all-digit key would arrive as a number.
    config["SECRET_KEY"] = str(config["SECRET_KEY"])
    fallbacks = config["SECRET_KEY_FALLBACKS"]
    if isinstance(fallbacks, str):  # a plain string instead of a JSON list: comma separated
        fallbacks = [k.strip() for k in fallbacks.split(",") if k.strip()]
    elif not isinstance(fallbacks, list):
        fallbacks = [fallbacks]
    config["SECRET_KEY_FALLBACKS"] = [str(key) for key in fallbacks]
    config["BASE_URL"] = str(config["BASE_URL"]).rstrip("/")
    config["LINK_MAX_AGE_DAYS"] = int(config["LINK_MAX_AGE_DAYS"])
    if config["BASE_URL"].startswith("https://"):
        config.setdefault("SESSION_COOKIE_SECURE", True)
        config["SESSION_COOKIE_SECURE"] = True
        config["SESSION_COOKIE_NAME"] = "__Host-session"
    config["RETENTION_DAYS"] = int(config["RETENTION_DAYS"])
    config["ERASURE_LINK_HOURS"] = int(config["ERASURE_LINK_HOURS"])
    config["FAST_PATHS"] = _flag("FAST_PATHS", config["FAST_PATHS"])
    hosts = config["TRUSTED_HOSTS"]
    if isinstance(hosts, str):  # PORTAL_TRUSTED_HOSTS="portal.example,.example.org"
        hosts = [h.strip() for h in hosts.split(",") if h.strip()]
    config["TRUSTED_HOSTS"] = [str(h) for h in hosts] if hosts else None
    if config["DATABASE_URL"].startswith("sqlite:///"):
        Path(config["DATABASE_URL"].removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )


def _flag(name: str, value) -> bool:
    """A yes/no setting: from_prefixed_env gives JSON true/false/1/0 as such, other words
    (yes, no, on, off) as text."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"PORTAL_{name} must be true or false (or 1/0, yes/no), not {value!r}")


def refuse_insecure_key(app: Flask) -> None:
    """Stop a production app that still runs with the published development key."""
    # get_debug_flag, not the raw variable: FLASK_DEBUG=0 means debugging is off.
    relaxed = app.debug or app.testing or app.config["DEMO"] or get_debug_flag()
    if app.config["SECRET_KEY"] == DEV_SECRET_KEY and not relaxed:
        raise InsecureSecretKeyError(
            "PORTAL_SECRET_KEY is not set: refusing to run with the development key. "
            'Set it, e.g. PORTAL_SECRET_KEY="$(python -c \'import secrets; '
            "print(secrets.token_urlsafe(32))')\""
        )
