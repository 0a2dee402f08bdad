"""Per-request work the candidate's status page does not need, removed without changing behaviour.

Measured against a bare Flask route, most of a cheap request's cost was framework hooks:
the session interface building a signing serializer for requests without a cookie, the rate
limiter resolving (no) limits for routes that have none, the extensions' other hooks, and
``ensure_sync`` asking ``inspect`` whether each hook is a coroutine on every request. Each is
trimmed here.
"""

import contextlib
import functools

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


def _owner(hook) -> str:
    """The module a hook comes from (through ``functools.partial`` and bound methods)."""
    return getattr(getattr(hook, "func", hook), "__module__", "") or ""


def _unless_hot(hook, passes_response: bool):
    @functools.wraps(getattr(hook, "func", hook))
    def run(*args):
        if request.endpoint in UNLIMITED_HOT_ENDPOINTS:
            return args[0] if passes_response else None
        return hook(*args)

    return run


def skip_idle_hooks_on_hot_endpoints(app: Flask, limiter) -> None:
    """Extensions hook into every request; on the hot endpoints (GET only, no form, no login,
    no limit of their own) these hooks have nothing to do but cost about 50 us a request:

    * flask-wtf's CSRF check (it protects unsafe methods only);
    * flask-login's remember-cookie refresh (it reads the session, so the response would vary
      on Cookie, and writes nothing for a request without a login);
    * flask-limiter's check, headers and clean-up, when no default or application-wide limits
      are configured (the portal declares its limits per view, checked by their decorators).

    Every other endpoint runs them as before."""
    idle = ["flask_wtf.", "flask_login."]
    if not _global_limits(limiter):
        idle.append("flask_limiter.")
    for hooks, passes_response in ((app.before_request_funcs, False),
                                   (app.after_request_funcs, True),
                                   (app.teardown_request_funcs, False)):
        hooks[None] = [
            _unless_hot(hook, passes_response) if _owner(hook).startswith(tuple(idle)) else hook
            for hook in hooks.get(None, [])
        ]


def _global_limits(limiter) -> bool:
    manager = limiter.limit_manager
    return bool(manager._default_limits or manager._application_limits)


def init_app(app: Flask, limiter) -> None:
    """After every extension has registered its hooks."""
    app.session_interface = LeanSessionInterface()
    skip_idle_hooks_on_hot_endpoints(app, limiter)
