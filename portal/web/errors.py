"""Error pages: HTML in the request's language, problem+json under /api/, JSON when asked."""

from flask import render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError


def error_page(status: int, template: str):
    def handler(error):
        if request.path.startswith("/api/"):  # the API answers in problem+json
            from portal.api.problems import from_http_exception

            return from_http_exception(error)
        if request.accept_mimetypes.best == "application/json":
            return {"error": getattr(error, "name", "Error"), "status": status}, status
        return render_template(template, error=error), status

    return handler


def csrf_failed(error: CSRFError):
    message = _("Your form expired or was sent from elsewhere. Reload the page and try again.")
    return render_template("errors/400.html", message=message), 400
