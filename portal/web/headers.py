"""The security headers every response gets (Flask's and the poll shortcut's alike)."""

from flask import request

from portal.web.framing import content_security_policy

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


def add_security_headers(response):
    """After every Flask request: the security headers the response does not set itself."""
    headers = response.headers
    # One pass over the response's header names instead of a scan per setdefault (hot path).
    present = {name.lower() for name, _ in headers.items()}
    policy = headers.get("Content-Security-Policy")
    for name, value in security_headers(present, policy, secure=request.is_secure):
        headers.add(name, value)
    return response
