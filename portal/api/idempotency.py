"""``Idempotency-Key`` for POSTs: a repeat gets the first answer, and nothing happens twice.

The record of a key is inserted in the same transaction as the work it guards, before the work,
under a unique (token, key) constraint. A concurrent twin therefore waits on that insert (a row
lock on PostgreSQL, the write lock on SQLite) until the first request commits, then fails with
an IntegrityError, reads the committed record and replays it; if the first request failed and
rolled back, the twin finds no record and does the work itself. The work runs in a savepoint,
so a refused request (a 4xx problem) is remembered too, without any of its partial writes.

A key is remembered for 24 hours (as Stripe and the IETF draft suggest): long enough for any
retry, short enough that the stored answers (which may name a candidate) do not pile up. A POST
whose key has expired deletes that record and counts as new; ``portal retention run`` deletes
every expired record.
"""

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Response, request
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from portal.api.problems import ApiError, field_error, problem_response
from portal.core.clock import now
from portal.models import ApiToken, IdempotencyRecord

HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = ("Location",)
KEPT_FOR = timedelta(hours=24)


def purge_expired(*, session: Session, token_id: int | None = None, key: str | None = None,
                  at: datetime | None = None) -> int:
    """Delete the records older than ``KEPT_FOR``: every one, or only the one of ``token_id``
    and ``key``. The caller commits."""
    statement = delete(IdempotencyRecord).where(
        IdempotencyRecord.created_at < (at or now()) - KEPT_FOR)
    if token_id is not None:
        statement = statement.where(IdempotencyRecord.token_id == token_id,
                                    IdempotencyRecord.key == key)
    return session.execute(statement.execution_options(synchronize_session=False)).rowcount


def request_fingerprint() -> str:
    """SHA-256 over method, path and body; JSON bodies are compared by meaning, not by bytes."""
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        body = raw
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(
        record.response_body, status=record.status_code,
        mimetype=record.response_headers.get("Content-Type", "application/json"),
    )
    for name in KEPT_HEADERS:
        if name in record.response_headers:
            response.headers[name] = record.response_headers[name]
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _existing(session: Session, token: ApiToken, key: str, fingerprint: str) -> Response | None:
    record = session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.token_id == token.id, IdempotencyRecord.key == key
        )
    ).first()
    if record is None:
        return None
    if record.request_hash != fingerprint:
        raise ApiError(
            422, f"The Idempotency-Key {key!r} was used before with a different request. "
                 "Use a new key for a new request.",
            errors=[field_error(HEADER, "already used with a different request body")],
            slug="idempotency-key-reused", title="Idempotency-Key reused",
        )
    return _replay(record)


def run_post(*, session: Session, token: ApiToken, work: Callable[[], Response]) -> Response:
    """Run a POST's ``work`` (which raises ApiError to refuse) once per idempotency key.

    ``work`` writes through ``session`` and never commits; this commits.
    """
    key = request.headers.get(HEADER)
    if key is None:
        try:
            response = work()
        except ApiError:
            session.rollback()
            raise
        session.commit()
        return response
    if not KEY_PATTERN.fullmatch(key):
        raise ApiError(
            400, "The Idempotency-Key header must be 1 to 255 visible ASCII characters.",
            errors=[field_error(HEADER, "1 to 255 visible ASCII characters, e.g. a UUID")],
        )
    fingerprint = request_fingerprint()
    purge_expired(session=session, token_id=token.id, key=key)
    session.commit()  # start the guarded transaction with the record's insert
    if replay := _existing(session, token, key, fingerprint):
        return replay
    record = IdempotencyRecord(token_id=token.id, key=key, request_hash=fingerprint)
    try:
        session.add(record)
        session.flush()
    except IntegrityError:
        # A concurrent request with this key committed first: answer as it did.
        session.rollback()
        replay = _existing(session, token, key, fingerprint)
        if replay is None:
            raise ApiError(
                409, "Another request with this Idempotency-Key is being processed; retry.",
                headers={"Retry-After": "1"},
            ) from None
        return replay
    savepoint = session.begin_nested()
    try:
        response = work()
        savepoint.commit()
    except ApiError as error:
        savepoint.rollback()
        response = problem_response(error)
    record.status_code = response.status_code
    record.response_body = response.get_data(as_text=True)
    record.response_headers = {
        "Content-Type": response.mimetype,
        **{name: response.headers[name] for name in KEPT_HEADERS if name in response.headers},
    }
    session.add(record)
    session.commit()
    return response
