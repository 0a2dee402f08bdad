"""Per-request work the candidate's status page does not need, removed without changing behaviour.

Measured against a bare Flask route, most of a cheap request's cost was framework hooks: the
session interface building a signing serializer for requests without a cookie, the rate limiter
resolving (no) limits for routes that have none, and ``ensure_sync`` asking ``inspect`` whether
each hook is a coroutine on every request. Each is trimmed here through a documented extension
point (a ``SessionInterface`` subclass, a ``Flask`` subclass, flask-limiter's
``request_filter``), and only while ``FAST_PATHS`` is on (``PORTAL_FAST_PATHS``).
"""

import contextlib

from flask import Flask, current_app, request
from flask.sessions import SecureCookieSessionInterface

from portal.web.extensions import limiter

# Endpoints that carry no rate limit of their own and are called a lot (polled).
UNLIMITED_HOT_ENDPOINTS = frozenset({"candidate.status", "static", "health.healthz"})
# flask-limiter's documented settings for limits on every route (the portal sets none).
GLOBAL_LIMIT_SETTINGS = ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION")


class LeanSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, minus the work for requests that have no cookie and
    responses whose (empty) session nobody touched."""

    def open_session(self, app: Flask, request):
        if self.get_cookie_name(app) not in request.cookies:
            if not app.secret_key:
                return None  # Flask's own answer: sessions unavailable
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:
        if not session and not session.modified and not session.accessed:
            return  # nothing to write, delete or vary on
        super().save_session(app, session, response)


class PortalFlask(Flask):
    """Flask with ``ensure_sync`` remembered per function while ``FAST_PATHS`` is on (the
    portal has no async views); off, every call is Flask's own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.portal_sync_cache: dict = {}

    def ensure_sync(self, func):
        if not self.config.get("FAST_PATHS"):
            return super().ensure_sync(func)
        cache = self.portal_sync_cache
        try:
            return cache[func]
        except (KeyError, TypeError):
            wrapped = super().ensure_sync(func)
            with contextlib.suppress(TypeError):  # unhashable: just not remembered
                cache[func] = wrapped
            return wrapped


@limiter.request_filter
def unlimited_hot_endpoint() -> bool:
    """flask-limiter's documented request filter: a hot endpoint without a limit of its own
    skips the limiter's lookup, while no default or application-wide limit is configured
    (then nothing would be counted for it anyway). Registered once: the limiter is shared by
    every app of the process, so each request asks its own app's configuration."""
    config = current_app.config
    return bool(
        config.get("FAST_PATHS")
        and request.endpoint in UNLIMITED_HOT_ENDPOINTS
        and not any(config.get(name) for name in GLOBAL_LIMIT_SETTINGS)
    )


def init_app(app: Flask) -> None:
    """Install the lean session interface (only with ``FAST_PATHS`` on)."""
    if app.config["FAST_PATHS"]:
        app.session_interface = LeanSessionInterface()
