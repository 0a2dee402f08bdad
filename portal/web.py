"""Cross-cutting web concerns: security headers, CSRF, htmx, error pages, template globals."""

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.routing import IntegerConverter

from portal.framing import content_security_policy

csrf = CSRFProtect()
htmx = HTMX()
# Limits are declared where they apply; storage: RATELIMIT_STORAGE_URI (memory:// by default,
# redis://... when several processes must share counts).
limiter = Limiter(key_func=get_remote_address)

# No inline script, no eval (htmx is configured through a <meta> tag); framed by nobody unless
# a view sets its own policy (the embeddable widgets do).
CONTENT_SECURITY_POLICY = content_security_policy()


_DEFAULT_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def security_headers(present: set[str], policy: str | None, *, secure: bool) -> list:
    """The security headers a response gets on top of its own: the defaults it does not set
    itself (``present``: its header names, lower case), X-Frame-Options when its framing
    policy (``policy``, its Content-Security-Policy, else ours) allows no framing, and HSTS
    over HTTPS. Used after every Flask request and by the poll shortcut (``fast_poll``)."""
    added = [(name, value) for name, value in _DEFAULT_HEADERS if name.lower() not in present]
    if policy is None:
        policy = CONTENT_SECURITY_POLICY if "content-security-policy" not in present else ""
    if "x-frame-options" not in present and "frame-ancestors 'none'" in policy:
        added.append(("X-Frame-Options", "DENY"))
    if secure and "strict-transport-security" not in present:
        added.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return added


def _security_headers(response):
    headers = response.headers
    # One pass over the response's header names instead of a scan per setdefault (hot path).
    present = {name.lower() for name, _ in headers.items()}
    policy = headers.get("Content-Security-Policy")
    for name, value in security_headers(present, policy, secure=request.is_secure):
        headers.add(name, value)
    return response


def _error_page(status: int, template: str):
    def handler(error):
        if request.path.startswith("/api/"):  # the API answers in problem+json
            from portal.api.problems import from_http_exception

            return from_http_exception(error)
        if request.accept_mimetypes.best == "application/json":
            return {"error": getattr(error, "name", "Error"), "status": status}, status
        return render_template(template, error=error), status

    return handler


def _csrf_failed(error: CSRFError):
    message = _("Your form expired or was sent from elsewhere. Reload the page and try again.")
    return render_template("errors/400.html", message=message), 400


MAX_ID = 2**63 - 1


def parse_id(raw: str | None) -> int | None:
    """A database id typed into a form or query string, or None when it is not one."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_ID else None


class IdConverter(IntegerConverter):
    """A database id in a URL: 1 up to the largest 64-bit integer (bigger ones are a 404)."""

    def __init__(self, map, **kwargs):  # noqa: A002 - werkzeug's signature
        super().__init__(map, min=1, max=MAX_ID)


def init_app(app: Flask) -> None:
    """Register CSRF protection, htmx, security headers and error pages."""
    app.url_map.converters["id"] = IdConverter
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _csrf_failed)
    app.register_error_handler(403, _error_page(403, "errors/403.html"))
    app.register_error_handler(404, _error_page(404, "errors/404.html"))
    app.register_error_handler(405, _error_page(405, "errors/405.html"))
    app.register_error_handler(413, _error_page(413, "errors/413.html"))
    app.register_error_handler(500, _error_page(500, "errors/500.html"))
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals["htmx_config"] = (
        '{"allowEval":false,"includeIndicatorStyles":false,"historyCacheSize":0,'
        '"selfRequestsOnly":true,"allowScriptTags":false,'
        '"responseHandling":[{"code":"204","swap":false},{"code":"304","swap":false},'
        '{"code":"[23]..","swap":true},{"code":"422","swap":true},'
        '{"code":"[45]..","swap":false,"error":true}]}'
    )
