"""Who may frame which page, and which cross-site POSTs a cookieless form accepts.

Admin and login pages may be framed by nobody (``frame-ancestors 'none'``); the embeddable
widgets only by the origins their client listed. Candidate forms carry no cookie, so they are
authorised by the token in their URL and guarded against cross-site submission by the
``Origin`` / ``Sec-Fetch-Site`` headers the browser sets.
"""

from urllib.parse import urlsplit

from flask import current_app, request

from portal.services import N_, InputError

BASE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'"
)
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


def content_security_policy(frame_ancestors: list[str] | None = None) -> str:
    """The CSP: framing by the given origins only, or by nobody."""
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"
    return f"{BASE_POLICY}; frame-ancestors {ancestors}"


def normalise_origin(raw: str) -> str:
    """``scheme://host[:port]`` from what an admin typed, or InputError saying why not.

    Only https origins, except plain http on this machine (localhost) for trying things out.
    """
    text = (raw or "").strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InputError(
            "embed_origins", N_("%(text)s is not an origin like https://careers.example.com"),
            text=repr(text),
        )
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        raise InputError(
            "embed_origins", N_("%(text)s: an origin has no path, query or login"),
            text=repr(text),
        )
    if any(char in text for char in " *'\";,"):
        raise InputError(
            "embed_origins", N_("%(text)s: wildcards and quotes are not allowed"),
            text=repr(text),
        )
    host = parts.hostname
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        raise InputError(
            "embed_origins", N_("%(text)s: only https origins may embed the widgets"),
            text=repr(text),
        )
    try:
        port = parts.port
    except ValueError:
        raise InputError(
            "embed_origins", N_("%(text)s: the port is not a number"), text=repr(text)
        ) from None
    default_port = 443 if parts.scheme == "https" else 80
    shown_host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{shown_host}" + (f":{port}" if port and port != default_port else "")


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
