"""Access logs without capabilities: status-link tokens are written as ``/s/<redacted>``.

The status widget carries the same token (``/embed/<slug>/status/<redacted>``). API tokens
(``ptk_…``, whether in a bearer header someone chose to log or pasted into a query string) and
webhook secrets (``whsec_…``) are redacted wherever they appear.
"""

import re

from gunicorn.glogging import Logger
from werkzeug.serving import WSGIRequestHandler

_TOKEN_PATH = re.compile(r"(/s/|/embed/[^/\s?#\"]+/status/)[^/\s?#\"]+")
_SECRETS = re.compile(r"(ptk_|whsec_|Bearer\s+)[A-Za-z0-9_\-+/=.~]+", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with every status-link token, API token and webhook secret replaced."""
    if "ptk_" in text or "whsec_" in text or "earer" in text:
        text = _SECRETS.sub(r"\1<redacted>", text)
    if "/s/" not in text and "/status/" not in text:
        return text
    return _TOKEN_PATH.sub(r"\1<redacted>", text)


class RedactingGunicornLogger(Logger):
    """gunicorn's logger, with tokens removed from the request line, path, query and referer."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f", "{raw_uri}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        for key, value in atoms.items():  # request headers, if the log format names any
            if isinstance(value, str) and key.startswith("{") and key.endswith("}i"):
                atoms[key] = "<redacted>" if key == "{authorization}i" else redact(value)
        return atoms


class RedactingRequestHandler(WSGIRequestHandler):
    """The demo server's request handler, with tokens removed from its log lines."""

    def log_request(self, code="-", size="-"):
        # werkzeug builds the line from ``path`` (and ``requestline`` for bad requests).
        saved = (getattr(self, "path", None), self.requestline)
        if saved[0] is not None:
            self.path = redact(saved[0])
        self.requestline = redact(saved[1])
        try:
            super().log_request(code, size)
        finally:
            if saved[0] is not None:
                self.path = saved[0]
            self.requestline = saved[1]
