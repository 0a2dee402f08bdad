"""Errors of the API as ``application/problem+json`` (RFC 9457).

Every problem has ``type``, ``title``, ``status`` and ``detail``, and an ``errors`` list naming
each offending field (``[]`` when the problem is not about a field). ``type`` is a URL of the
API reference page, where each kind of problem is explained.
"""

import json

from flask import Response, current_app
from werkzeug.exceptions import HTTPException

PROBLEM_TYPE = "application/problem+json"

# status -> (slug of the type URL, title)
TITLES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Missing or invalid API token"),
    403: ("forbidden", "The token's scope does not allow this"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("invalid", "The request has invalid fields"),
    429: ("rate-limited", "Too many requests"),
    500: ("server-error", "Internal server error"),
}


class ApiError(Exception):
    """A problem to answer with; ``errors`` is a list of ``{"field", "message"}``."""

    def __init__(self, status: int, detail: str, *, errors: list[dict] | None = None,
                 title: str | None = None, slug: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.title = title
        self.slug = slug
        self.headers = headers or {}


def field_error(field: str, message: str) -> dict:
    return {"field": field, "message": message}


def problem_type_url(slug: str) -> str:
    return f"{current_app.config['BASE_URL']}/api/v1/docs#problem-{slug}"


def problem_response(error: ApiError) -> Response:
    slug, title = TITLES.get(error.status, ("error", "Error"))
    body = {
        "type": problem_type_url(error.slug or slug),
        "title": error.title or title,
        "status": error.status,
        "detail": error.detail,
        "errors": error.errors,
    }
    response = Response(
        json.dumps(body, ensure_ascii=False), status=error.status, mimetype=PROBLEM_TYPE
    )
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


DETAILS = {
    400: "The request could not be understood.",
    401: "Send an API token as `Authorization: Bearer <token>`.",
    404: "There is nothing at this address.",
    405: "This address does not accept that method.",
    413: "The request body is larger than the portal accepts.",
    500: "Something went wrong on our side; the request was not completed. Try again later.",
}


def from_http_exception(error: HTTPException) -> Response:
    """A problem for werkzeug's HTTP errors raised under /api/ (routing, size limits, 500)."""
    status = error.code or 500
    detail = DETAILS.get(status) or error.description or TITLES.get(status, ("", "Error"))[1]
    if status == 405 and getattr(error, "valid_methods", None):
        allowed = ", ".join(sorted(error.valid_methods))
        detail = f"This address accepts {allowed}."
    problem = ApiError(status if status in TITLES else 500, detail)
    response = problem_response(problem)
    if status == 405:
        response.headers["Allow"] = ", ".join(sorted(getattr(error, "valid_methods", []) or []))
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response
