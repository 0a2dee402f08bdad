"""The unchanged poll, answered before Flask builds a request: the status card's hot path.

Every open status page polls ``/s/<token>`` with the ETag of the card it shows. Almost every
poll finds nothing new, and its whole answer is a 304 with a fixed set of headers. Flask's
request machinery (request and app contexts, session, URL matching, the extensions' hooks)
cost more than the answer itself, so this WSGI middleware gives that answer first:

* only for ``GET /s/<token>`` with an ``If-None-Match`` that is not ``*``, for the HTML page
  and the htmx card (a JSON request goes to Flask);
* only when the token verifies, has not expired, names a live link, and the ETag computed
  exactly as the view computes it (``unchanged_response``) is among those sent.

Anything else (a bad or expired token, a revoked link, a changed status, a database error)
goes to Flask untouched, which answers as it always does. The 304's headers are the ones the
Flask view sends, and ``tests/test_fast_poll.py`` compares the two answers header by header.
"""

import re

from flask import Flask
from werkzeug.http import parse_etags

from portal.core import clock
from portal.core.db import get_engine, raw_read
from portal.core.tokens import LinkExpired, LinkInvalid, read_status_token
from portal.services.status import driver_sql, etag_for, named_rows, stamp_of
from portal.web.capability import PRIVATE_HEADERS
from portal.web.headers import security_headers

# A status token: URL-safe base64 parts joined by dots, no slash (other /s/ routes have one).
_TOKEN_PATH = re.compile(r"/s/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-.]+)")
_STATUS = "304 NOT MODIFIED"


class UnchangedPoll:
    """WSGI middleware in front of ``app.wsgi_app`` (see the module's docstring)."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        # The 304's headers but the ETag, in the order the Flask view sends them: the view's
        # own, then those ``portal.web.extensions`` adds to every response (over HTTP, over HTTPS).
        self.own_headers = list(PRIVATE_HEADERS.items())
        present = {name.lower() for name, _ in self.own_headers}
        self.added_headers = {
            secure: security_headers(present, None, secure=secure) for secure in (False, True)
        }

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET":
            if_none_match = environ.get("HTTP_IF_NONE_MATCH")
            if if_none_match and environ.get("PATH_INFO", "").startswith("/s/"):
                headers = self.unchanged(environ, if_none_match)
                if headers is not None:
                    start_response(_STATUS, headers)
                    return []
        return self.wsgi_app(environ, start_response)

    def unchanged(self, environ, if_none_match: str) -> list[tuple[str, str]] | None:
        """The 304's headers when the poll may be answered here, else None (Flask answers)."""
        match = _TOKEN_PATH.fullmatch(environ["PATH_INFO"])
        if match is None or "json" in environ.get("HTTP_ACCEPT", ""):
            return None
        etags = parse_etags(if_none_match)
        if etags.star_tag:
            return None
        try:
            claim = read_status_token(match.group(1), self.app)
        except (LinkInvalid, LinkExpired):
            return None
        stamp = self._stamp(claim)
        if stamp is None:
            return None
        variant = "card" if environ.get("HTTP_HX_REQUEST") == "true" else "page"
        etag = etag_for(stamp, today=clock.today(self.app), variant=variant,
                        build=self.app.config["BUILD_ID"])
        if etag.strip('"') not in etags:
            return None
        secure = environ.get("wsgi.url_scheme") == "https"
        return [*self.own_headers, ("ETag", etag), *self.added_headers[secure]]

    def _stamp(self, claim) -> str | None:
        """The version stamp, read on a bare driver connection from the pool (the narrow
        query costs less than SQLAlchemy's connection and result around it). On any database
        error None: Flask answers, and its read retries on a fresh connection."""
        engine = get_engine(self.app)
        statement = driver_sql("head", engine.dialect)
        try:
            with raw_read(engine) as connection:
                cursor = connection.cursor()
                cursor.execute(statement.sql, statement.params(claim.application_id))
                rows = named_rows(cursor)  # by column name, never by position
                cursor.close()
        except Exception:  # noqa: BLE001 - the database is away or the connection broke
            return None
        return stamp_of(claim.application_id, claim.token_version, rows[0] if rows else None)


def init_app(app: Flask) -> None:
    """Put the shortcut in front of the app (inside any middleware wrapped around it later),
    while ``FAST_PATHS`` is on; off, every poll goes to the Flask view."""
    if not app.config["FAST_PATHS"]:
        return
    app.wsgi_app = UnchangedPoll(app, app.wsgi_app)
