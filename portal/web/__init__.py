"""Cross-cutting web concerns: extensions, security headers, error pages, ids, template setup."""

from flask import Flask
from flask_wtf.csrf import CSRFError

from portal.web.errors import csrf_failed, error_page
from portal.web.extensions import csrf, htmx, limiter
from portal.web.headers import add_security_headers
from portal.web.ids import IdConverter


def init_app(app: Flask) -> None:
    """Register CSRF protection, htmx, security headers and error pages."""
    app.url_map.converters["id"] = IdConverter
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    app.after_request(add_security_headers)
    app.register_error_handler(CSRFError, csrf_failed)
    app.register_error_handler(403, error_page(403, "errors/403.html"))
    app.register_error_handler(404, error_page(404, "errors/404.html"))
    app.register_error_handler(405, error_page(405, "errors/405.html"))
    app.register_error_handler(413, error_page(413, "errors/413.html"))
    app.register_error_handler(500, error_page(500, "errors/500.html"))
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals["htmx_config"] = (
        '{"allowEval":false,"includeIndicatorStyles":false,"historyCacheSize":0,'
        '"selfRequestsOnly":true,"allowScriptTags":false,'
        '"responseHandling":[{"code":"204","swap":false},{"code":"304","swap":false},'
        '{"code":"[23]..","swap":true},{"code":"422","swap":true},'
        '{"code":"[45]..","swap":false,"error":true}]}'
    )
