"""Error pages: HTML in the request's language, problem+json under /api/, JSON when asked."""

from collections.abc import Callable

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

_ANSWERS = "portal.error_answers"


def answer_errors_under(app: Flask, prefix: str, answer: Callable) -> None:
    """Errors of URLs under ``prefix`` are answered by ``answer(error)`` instead of a page (the
    API registers its problem+json this way, so this module needs nothing of the API)."""
    app.extensions.setdefault(_ANSWERS, []).append((prefix, answer))


def error_page(status: int, template: str):
    """The handler for ``status``: an area's own answer, JSON when asked, else the page."""

    def handler(error):
        for prefix, answer in current_app.extensions.get(_ANSWERS, ()):
            if request.path.startswith(prefix):
                return answer(error)
        if request.accept_mimetypes.best == "application/json":
            return {"error": getattr(error, "name", "Error"), "status": status}, status
        return render_template(template, error=error), status

    return handler


def csrf_failed(error: CSRFError):
    message = _("Your form expired or was sent from elsewhere. Reload the page and try again.")
    return render_template("errors/400.html", message=message), 400
