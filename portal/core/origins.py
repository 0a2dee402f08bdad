"""Web origins an admin types (embed origins): checked and written one way."""

from urllib.parse import urlsplit

from portal.core.errors import N_, InputError

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


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
