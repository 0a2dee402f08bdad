"""The audit trail: ``record(...)`` one row per recruiter action; browse with keyset pages.

Append-only by construction: this module inserts and reads, nothing in the app updates or
deletes an ``AuditEvent`` (a test checks that no code path does). Callers record inside the
transaction of the action itself, so an action and its audit row commit (or roll back)
together::

    from portal.services.audit import record
    record(session=session, action="application.update", actor_id=user.id,
           application_id=application.id, detail={"stage": "interview"})
    session.commit()

``ip_address`` defaults to the current request's client address when called inside a request
(``request.remote_addr``; put the portal behind a proxy with ProxyFix so that is the client).
``detail`` must hold no personal data of candidates: ids, stage keys, counts, field names.
"""

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import has_request_context, request
from sqlalchemy import and_, or_, select
from sqlmodel import Session

from portal.core.clock import now
from portal.models import AuditEvent

# The actions the portal records (others may be added: ``action`` is free text up to 40).
ACTIONS = (
    "login", "login.failed", "login.throttled", "logout", "password.changed",
    "application.created", "application.update", "application.stage_change",
    "application.no_news", "application.email_resent",
    "link.revoked", "link.renewed",
    "gdpr.export", "gdpr.erasure_requested", "gdpr.erasure",
    "retention.run",
    "recruiter.created", "recruiter.changed",
    "client.created", "client.changed", "job.created",
    "application.bulk_update", "applications.imported", "applications.exported",
    "api_token.created", "api_token.revoked",
    "webhook.created", "webhook.changed", "webhook.secret_rotated",
)


def client_address() -> str | None:
    """The request's client address, when there is a request."""
    return request.remote_addr if has_request_context() else None


def record(
    *, session: Session, action: str, actor_id: int | None = None,
    application_id: int | None = None, subject: str | None = None,
    detail: dict | None = None, actor_label: str | None = None,
    ip_address: str | None = None, at: datetime | None = None,
) -> AuditEvent:
    """Append one event to the audit trail in the caller's transaction (the caller commits).

    ``action``: a short dotted name (see ``ACTIONS``). ``actor_id``: the recruiter, or None for
    the candidate / the system. ``application_id``: the application concerned, if any;
    ``subject``: another thing concerned ("recruiter:3", "client:7"). ``detail``: small JSON
    without candidates' personal data. ``actor_label``: who claimed to act when no recruiter
    matched (a failed login's email). ``ip_address``: defaults to the request's address.
    """
    event = AuditEvent(
        created_at=at or now(), action=action[:40], actor_id=actor_id,
        actor_label=(actor_label or None) and actor_label[:254],
        ip_address=(ip_address or client_address() or None),
        application_id=application_id, subject=subject and subject[:80], detail=detail or {},
    )
    if event.ip_address:
        event.ip_address = event.ip_address[:64]
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class AuditFilter:
    actor_id: int | None = None
    action: str | None = None
    application_id: int | None = None
    since: date | None = None
    until: date | None = None  # inclusive


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    next_cursor: str | None


def _encode(event: AuditEvent) -> str:
    raw = json.dumps([event.created_at.isoformat(), event.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, ident = json.loads(raw)
        return datetime.fromisoformat(moment), int(ident)
    except (ValueError, TypeError, json.JSONDecodeError):
        return None


def list_events(
    *, session: Session, audit_filter: AuditFilter, cursor: str | None = None, limit: int = 50,
    tz=None,
) -> AuditPage:
    """Newest first, ``limit`` at a time; ``cursor`` continues after the last page's end."""
    statement = select(AuditEvent)
    if audit_filter.actor_id is not None:
        statement = statement.where(AuditEvent.actor_id == audit_filter.actor_id)
    if audit_filter.action:
        statement = statement.where(AuditEvent.action == audit_filter.action)
    if audit_filter.application_id is not None:
        statement = statement.where(AuditEvent.application_id == audit_filter.application_id)
    if audit_filter.since is not None:
        start = datetime.combine(audit_filter.since, time.min, tzinfo=tz or now().tzinfo)
        statement = statement.where(AuditEvent.created_at >= start)
    if audit_filter.until is not None:
        end = datetime.combine(audit_filter.until + timedelta(days=1), time.min,
                               tzinfo=tz or now().tzinfo)
        statement = statement.where(AuditEvent.created_at < end)
    position = _decode(cursor)
    if position is not None:
        moment, ident = position
        statement = statement.where(
            or_(AuditEvent.created_at < moment,
                and_(AuditEvent.created_at == moment, AuditEvent.id < ident))
        )
    statement = statement.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    rows = list(session.scalars(statement.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(events=rows, next_cursor=_encode(rows[-1]) if more and rows else None)
