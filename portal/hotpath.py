"""Per-request work the candidate's status page does not need, removed without changing behaviour.

Measured against a bare Flask route, most of a cheap request's cost was framework hooks:
the session interface building a signing serializer for requests without a cookie, the rate
limiter resolving (no) limits for routes that have none, and ``ensure_sync`` asking
``inspect`` whether each hook is a coroutine on every request. Each is trimmed here.
"""

import contextlib

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

# Endpoints that carry no rate limit of their own and are called a lot (polled).
UNLIMITED_HOT_ENDPOINTS = frozenset({"candidate.status", "static", "health.healthz"})


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
    """Flask with ``ensure_sync`` remembered per function (the portal has no async views)."""

    def ensure_sync(self, func):
        cache = self.__dict__.setdefault("_portal_sync_cache", {})
        try:
            return cache[func]
        except (KeyError, TypeError):
            wrapped = super().ensure_sync(func)
            with contextlib.suppress(TypeError):  # unhashable: just not remembered
                cache[func] = wrapped
            return wrapped


def skip_global_rate_limit_check(app: Flask, limiter) -> None:
    """The limiter checks every request in a ``before_request`` hook, for default and
    application-wide limits; the portal declares none, only per-view ones (checked by their
    decorators). For the hot endpoints, skip the hook when no default limits are configured."""
    hooks = app.before_request_funcs.get(None, [])
    for index, hook in enumerate(hooks):
        if getattr(hook, "__func__", None) is type(limiter)._check_request_limit:
            original = hook

            def check(original=original):
                if request.endpoint in UNLIMITED_HOT_ENDPOINTS and not _global_limits(limiter):
                    return None
                return original()

            hooks[index] = check
            return


def _global_limits(limiter) -> bool:
    manager = limiter.limit_manager
    return bool(manager._default_limits or manager._application_limits)


def init_app(app: Flask, limiter) -> None:
    app.session_interface = LeanSessionInterface()
    skip_global_rate_limit_check(app, limiter)
