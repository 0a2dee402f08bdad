"""Every table of the portal, in one module (SQLModel, UTC-aware datetimes).

No ``from __future__ import annotations`` here: SQLModel needs real annotations
to build relationships.
"""

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, LargeBinary, MetaData, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

# Constraint names that Alembic can find again on SQLite and PostgreSQL alike.
SQLModel.metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

LANGUAGES = ("en", "sv")


def utcnow() -> datetime:
    """The current time, timezone-aware (SQLModel rejects naive datetimes)."""
    return datetime.now(UTC)


class Role(StrEnum):
    ADMIN = "admin"
    RECRUITER = "recruiter"


class UpdateKind(StrEnum):
    CREATED = "created"
    STAGE_CHANGE = "stage_change"
    NOTE = "note"
    NO_NEWS = "no_news"
    INTERNAL = "internal"
    CANDIDATE_MESSAGE = "candidate_message"
    SYSTEM = "system"
    # What candidates do themselves from their status page.
    QUESTION = "question"
    STILL_INTERESTED = "still_interested"
    WITHDRAWAL = "withdrawal"


class Outcome(StrEnum):
    HIRED = "hired"
    NOT_SELECTED = "not_selected"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


class Recruiter(SQLModel, table=True):
    """A person who logs in to the desk."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=120)
    password_hash: str = Field(max_length=255)
    role: str = Field(default=Role.RECRUITER, max_length=20)
    language: str = Field(default="en", max_length=5)
    # Bumped on logout and password change: every older session cookie stops working.
    session_version: int = Field(default=1)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else self.name

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class Client(SQLModel, table=True):
    """A hiring company."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=60, unique=True)
    name: str = Field(max_length=120)
    country: str = Field(default="SE", max_length=2)
    default_language: str = Field(default="sv", max_length=5)
    # Branding and embedding (the client's admin page).
    accent_color: str | None = Field(default=None, max_length=7)
    logo: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    logo_type: str | None = Field(default=None, max_length=40)
    privacy_url: str | None = Field(default=None, max_length=500)
    # Origins (scheme://host[:port]) whose pages may frame the widgets.
    embed_origins: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # A white-label status page on the client's own site: https://careers.example.com/status
    status_page_url: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Job(SQLModel, table=True):
    """A position a client is hiring for, with its own stage pipeline."""

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    title: str = Field(max_length=160)
    owner_id: int | None = Field(default=None, foreign_key="recruiter.id", index=True)
    promise_days: int = Field(default=5, ge=1, le=60)
    # Off (None) by default: after this many business days of a lapsed promise, the portal
    # itself sends the candidate an honest "no news yet" notice and moves the promise.
    auto_notice_days: int | None = Field(default=None, ge=1, le=30)
    is_open: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Stage(SQLModel, table=True):
    """One step of a job's pipeline; label and guidance per language ({"en": ..., "sv": ...})."""

    __table_args__ = (UniqueConstraint("job_id", "key", name="uq_stage_job_id_key"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id", index=True)
    position: int = Field(default=0)
    key: str = Field(max_length=40)
    label: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    guidance: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    is_terminal: bool = Field(default=False)
    outcome: str | None = Field(default=None, max_length=20)

    def label_in(self, language: str) -> str:
        return self.label.get(language) or self.label.get("en") or self.key

    def guidance_in(self, language: str) -> str:
        return self.guidance.get(language) or self.guidance.get("en") or ""


class Application(SQLModel, table=True):
    """One candidate in one job."""

    __table_args__ = (
        # The desk's urgency order (overdue first, then due soonest, then oldest news),
        # usable for keyset pagination with or without a client filter.
        Index("ix_application_urgency", "is_open", "promised_by", "last_update_at", "id"),
        # The stage last: a client + stage filter is checked on the index entry, in order.
        Index(
            "ix_application_client_urgency",
            "client_id", "is_open", "promised_by", "last_update_at", "id", "stage_id",
        ),
        Index("ix_application_job_urgency", "job_id", "is_open", "promised_by", "id"),
        Index("ix_application_stage", "stage_id"),
        Index("ix_application_client_stage", "client_id", "stage_id", "is_open"),
        Index("ix_application_email", "email"),
    )

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id")
    # Denormalised from the job (which never changes client) so the desk can filter by index.
    client_id: int = Field(foreign_key="client.id")
    stage_id: int = Field(foreign_key="stage.id")
    name: str = Field(max_length=120)
    email: str = Field(max_length=254)
    language: str = Field(default="en", max_length=5)
    is_open: bool = Field(default=True)
    promised_by: date | None = Field(default=None)
    token_version: int = Field(default=1)
    # When the owner's reminder digest first listed the current promise as lapsed.
    reminded_at: datetime | None = Field(default=None)
    # The candidate opted out of emails (their status page keeps working).
    unsubscribed_at: datetime | None = Field(default=None)
    # When the candidate last heard something (a public update), or applied.
    last_update_at: datetime = Field(default_factory=utcnow)
    created_at: datetime = Field(default_factory=utcnow)
    # Changes whenever anything the candidate can see changes (drives the ETag).
    updated_at: datetime = Field(default_factory=utcnow)
    # Personal data replaced (erasure request or retention); the figures stay.
    anonymised_at: datetime | None = Field(default=None)


class Update(SQLModel, table=True):
    """An append-only entry in an application's history."""

    __table_args__ = (
        Index("ix_update_application_created", "application_id", "created_at"),
        # A form's one-time key: a double submit of a candidate action creates one entry.
        UniqueConstraint("application_id", "request_key", name="uq_update_application_request"),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id")
    kind: str = Field(max_length=20)
    stage_id: int | None = Field(default=None, foreign_key="stage.id")
    public_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    internal_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    author_id: int | None = Field(default=None, foreign_key="recruiter.id")
    promised_by: date | None = Field(default=None)
    # Part of the candidate's timeline (anything but an internal-only note).
    is_public: bool = Field(default=True)
    request_key: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class MessageStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(SQLModel, table=True):
    """An email waiting to be sent, written in the same transaction as the change behind it.

    The content is rendered when the row is written, so a retry or a resend sends exactly what
    the candidate was meant to get; ``message_id`` stays the same across retries.
    """

    __table_args__ = (
        Index("ix_outboxmessage_due", "status", "next_attempt_at", "id"),
        Index("ix_outboxmessage_application", "application_id", "id"),
        Index("ix_outboxmessage_about", "about_application_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(default="email", max_length=20)
    purpose: str = Field(max_length=40)
    message_id: str = Field(max_length=255, unique=True)
    application_id: int | None = Field(default=None, foreign_key="application.id")
    recruiter_id: int | None = Field(default=None, foreign_key="recruiter.id")
    # A recruiter's email about one candidate (a question, a withdrawal): erased with them.
    about_application_id: int | None = Field(default=None, foreign_key="application.id")
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=255)
    body_text: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    headers: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=MessageStatus.QUEUED, max_length=20)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    resend_of: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = Field(default=None)


class DigestLog(SQLModel, table=True):
    """One reminder digest per recruiter per day: the unique key makes ``remind`` idempotent."""

    __table_args__ = (UniqueConstraint("recruiter_id", "day", name="uq_digestlog_recruiter_day"),)

    id: int | None = Field(default=None, primary_key=True)
    recruiter_id: int = Field(foreign_key="recruiter.id")
    day: date
    outbox_message_id: int | None = Field(default=None, foreign_key="outboxmessage.id")
    overdue_count: int = Field(default=0)
    due_count: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)


class ApiScope(StrEnum):
    READ = "read"
    WRITE = "write"


class ApiToken(SQLModel, table=True):
    """A bearer token for ``/api/v1``: only a SHA-256 of the secret is stored (see api_tokens)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    scope: str = Field(default=ApiScope.READ, max_length=10)
    secret_hash: str = Field(max_length=64, unique=True)
    # The first characters of the token, shown in lists so people can tell tokens apart.
    prefix: str = Field(max_length=16)
    created_by: int | None = Field(default=None, foreign_key="recruiter.id")
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = Field(default=None)
    revoked_at: datetime | None = Field(default=None)


class IdempotencyRecord(SQLModel, table=True):
    """The first response to a POST with an ``Idempotency-Key``, replayed for repeats for
    24 hours (``portal.api.idempotency.KEPT_FOR``); it may hold a candidate's name and email."""

    __table_args__ = (
        UniqueConstraint("token_id", "key", name="uq_idempotencyrecord_token_key"),
        Index("ix_idempotencyrecord_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    token_id: int = Field(foreign_key="apitoken.id")
    key: str = Field(max_length=255)
    # SHA-256 over method, path and body: the same key with another request is refused.
    request_hash: str = Field(max_length=64)
    status_code: int = Field(default=0)
    response_body: str = Field(default="", sa_column=Column(Text, nullable=False))
    response_headers: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class WebhookEndpoint(SQLModel, table=True):
    """An agency system that wants to hear about events (Standard Webhooks, signed)."""

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=200)
    events: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # ``whsec_`` + base64 of the signing key, as the Standard Webhooks libraries expect it.
    secret: str = Field(max_length=100)
    is_active: bool = Field(default=True)
    created_by: int | None = Field(default=None, foreign_key="recruiter.id")
    created_at: datetime = Field(default_factory=utcnow)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint, written in the same transaction as the change behind it.

    The body is fixed when the row is written; ``message_id`` (the ``webhook-id`` header) stays
    the same across retries so receivers can drop duplicates.
    """

    __table_args__ = (
        Index("ix_webhookdelivery_due", "status", "next_attempt_at", "id"),
        Index("ix_webhookdelivery_endpoint", "endpoint_id", "id"),
        Index("ix_webhookdelivery_application", "application_id"),
        # Events that must happen once per fact (a lapsed promise) carry a key.
        UniqueConstraint("endpoint_id", "event_key", name="uq_webhookdelivery_endpoint_event"),
    )

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhookendpoint.id")
    event_type: str = Field(max_length=40)
    message_id: str = Field(max_length=64, unique=True)
    event_key: str | None = Field(default=None, max_length=120)
    application_id: int | None = Field(default=None, foreign_key="application.id")
    payload: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=DeliveryStatus.PENDING, max_length=20)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_status: int | None = Field(default=None)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = Field(default=None)


class AuditEvent(SQLModel, table=True):
    """Who did what, when, from where: append-only (the app has no update or delete path).

    ``application_id`` is a plain number, not a foreign key, so the trail outlives what it
    names; ``detail`` holds no personal data of candidates (ids, stage keys, counts).
    """

    __table_args__ = (
        Index("ix_auditevent_created", "created_at", "id"),
        Index("ix_auditevent_actor", "actor_id", "id"),
        Index("ix_auditevent_action", "action", "id"),
        Index("ix_auditevent_application", "application_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    action: str = Field(max_length=40)
    # The recruiter who acted (None: a candidate, the system or an unknown login).
    actor_id: int | None = Field(default=None)
    # What the actor called themselves when no recruiter matched (a failed login's email).
    actor_label: str | None = Field(default=None, max_length=254)
    ip_address: str | None = Field(default=None, max_length=64)
    application_id: int | None = Field(default=None)
    # Another subject (a recruiter, client or job): "recruiter:3", "client:7".
    subject: str | None = Field(default=None, max_length=80)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
