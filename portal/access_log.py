"""Access logs without capabilities: status-link tokens are written as ``/s/<redacted>``.

The status widget carries the same token (``/embed/<slug>/status/<redacted>``).
"""

import re

from gunicorn.glogging import Logger
from werkzeug.serving import WSGIRequestHandler

_TOKEN_PATH = re.compile(r"(/s/|/embed/[^/\s?#\"]+/status/)[^/\s?#\"]+")


def redact(text: str) -> str:
    """``text`` with every status-link token replaced."""
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
