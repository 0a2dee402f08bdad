"""Who may frame which page, and which cross-site POSTs a cookieless form accepts.

Admin and login pages may be framed by nobody (``frame-ancestors 'none'``); the embeddable
widgets only by the origins their client listed. Candidate forms carry no cookie, so they are
authorised by the token in their URL and guarded against cross-site submission by the
``Origin`` / ``Sec-Fetch-Site`` headers the browser sets.
"""

from urllib.parse import urlsplit

from flask import current_app, request

BASE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'"
)


def content_security_policy(frame_ancestors: list[str] | None = None) -> str:
    """The CSP: framing by the given origins only, or by nobody."""
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"
    return f"{BASE_POLICY}; frame-ancestors {ancestors}"


def base_origin() -> str:
    """The portal's own origin, from ``BASE_URL``."""
    parts = urlsplit(current_app.config["BASE_URL"])
    return f"{parts.scheme}://{parts.netloc}"


def cross_site_post() -> bool:
    """True when the browser says this POST came from another site's page."""
    origin = request.headers.get("Origin")
    if origin and origin != "null" and origin.rstrip("/") != base_origin():
        return True
    site = request.headers.get("Sec-Fetch-Site")
    return site is not None and site not in ("same-origin", "none")
