"""The audit trail: ``record(...)`` one row per action; browse with keyset pages.

Append-only by construction: this module inserts and reads, nothing in the app updates or
deletes an ``AuditEvent`` (a test checks that no code path does). Callers record inside the
transaction of the action itself, so an action and its audit row commit (or roll back)
together::

    from portal.services.audit import Actor, record
    record(session=session, action="application.update", actor=actor,
           application_id=application.id, detail={"stage": "interview"})
    session.commit()

The service functions that change something take ``actor`` (an ``Actor``) and record the event
themselves, so the desk, the bulk and CSV paths, the API and the command line write the same
event. No Flask here: the web layer builds the actor of a request (``portal.web.actor``), the
API one for its token, the CLI ``Actor.cli()``, workers and cron ``Actor.system()``.
``detail`` must hold no personal data of candidates: ids, stage keys, counts, field names.
"""

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

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


ActorKind = Literal["recruiter", "api_token", "cli", "system", "candidate", "visitor"]

# What the command line calls itself in ``actor_label`` (the audit page shows it).
CLI_LABEL = "command line"


@dataclass(frozen=True)
class Actor:
    """Who acts: stored as the event's ``actor_id``, ``actor_label`` and ``ip_address``.

    ``kind``: "recruiter" (signed in), "api_token" (``id`` is the token's creator), "cli",
    "system" (workers, cron), "candidate" (from their status link) or "visitor" (not signed
    in, e.g. a failed login; ``label`` is the account they typed). ``address``: the client's
    network address, when there is one.
    """

    kind: ActorKind
    id: int | None = None
    address: str | None = None
    label: str | None = None

    @classmethod
    def recruiter(cls, recruiter_id: int, *, address: str | None = None) -> "Actor":
        return cls("recruiter", id=recruiter_id, address=address)

    @classmethod
    def api_token(cls, *, token_id: int, name: str, created_by: int | None,
                  address: str | None = None) -> "Actor":
        return cls("api_token", id=created_by, address=address,
                   label=f"API token {token_id}: {name}")

    @classmethod
    def cli(cls) -> "Actor":
        return cls("cli", label=CLI_LABEL)

    @classmethod
    def system(cls) -> "Actor":
        return cls("system")

    @classmethod
    def candidate(cls, *, address: str | None = None) -> "Actor":
        return cls("candidate", address=address)

    @classmethod
    def visitor(cls, *, address: str | None = None, label: str | None = None) -> "Actor":
        return cls("visitor", address=address, label=label)

    def marks(self) -> dict:
        """The detail keys that say which path acted (kept as the trail has always shown)."""
        return _MARKS.get(self.kind, {})


_MARKS = {"api_token": {"via": "api"}, "cli": {"by": "cli"}, "candidate": {"by": "candidate"}}


def record(
    *, session: Session, action: str, actor: Actor | None = None, actor_id: int | None = None,
    application_id: int | None = None, subject: str | None = None,
    detail: dict | None = None, actor_label: str | None = None,
    ip_address: str | None = None, at: datetime | None = None, flush: bool = True,
) -> AuditEvent:
    """Append one event to the audit trail in the caller's transaction (the caller commits).

    ``action``: a short dotted name (see ``ACTIONS``). ``actor``: who acted (an ``Actor``;
    its path's marks, e.g. ``{"via": "api"}``, go first into ``detail``); ``actor_id``,
    ``actor_label`` and ``ip_address`` set the stored fields directly instead (imports,
    tests). ``application_id``: the application concerned, if any; ``subject``: another thing
    concerned ("recruiter:3", "client:7"). ``detail``: small JSON without candidates' personal
    data. ``flush=False`` leaves the insert to the session's next flush (batched with others).
    """
    if actor is not None:
        actor_id = actor.id if actor_id is None else actor_id
        actor_label = actor_label or actor.label
        ip_address = ip_address or actor.address
        detail = {**actor.marks(), **(detail or {})}
    event = AuditEvent(
        created_at=at or now(), action=action[:40], actor_id=actor_id,
        actor_label=(actor_label or None) and actor_label[:254],
        ip_address=(ip_address or None) and ip_address[:64],
        application_id=application_id, subject=subject and subject[:80], detail=detail or {},
    )
    session.add(event)
    if flush:
        session.flush()
    return event


def record_by(
    actor: Actor | None, *, session: Session, action: str, application_id: int | None = None,
    subject: str | None = None, detail: dict | None = None,
) -> AuditEvent | None:
    """``record`` for the service functions. Their ``actor`` keyword is an ``Actor``, or None
    (the default) where nobody acted on purpose: fixtures, seed and demo data, benchmarks.
    ``tests/test_audit_cli.py`` checks that every other call in the portal passes one."""
    if actor is None:
        return None
    return record(session=session, action=action, actor=actor, application_id=application_id,
                  subject=subject, detail=detail, flush=False)


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
