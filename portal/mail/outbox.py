"""The transactional outbox: queue emails with the change that causes them; claim and mark.

Writers call ``enqueue_email`` inside their own transaction and commit together with their
change, so a message exists exactly when its cause does. Workers claim due rows (row-locked with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several can run at once), send, and mark.
"""

import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from portal.core.clock import now
from portal.models import MessageStatus, OutboxMessage

BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600


def new_message_id(domain: str) -> str:
    """A globally unique RFC 5322 Message-ID, fixed for the message's whole life."""
    return f"<{now():%Y%m%d%H%M%S}.{secrets.token_hex(8)}@{domain}>"


def enqueue_email(
    *, session: Session, purpose: str, to_address: str, subject: str, body_text: str,
    body_html: str | None, domain: str, application_id: int | None = None,
    recruiter_id: int | None = None, headers: dict | None = None, resend_of: int | None = None,
    about_application_id: int | None = None,
) -> OutboxMessage:
    """Queue one email in the caller's transaction (the caller commits)."""
    message = OutboxMessage(
        purpose=purpose, message_id=new_message_id(domain), application_id=application_id,
        recruiter_id=recruiter_id, to_address=to_address, subject=subject[:255],
        body_text=body_text, body_html=body_html, headers=headers or {},
        status=MessageStatus.QUEUED, resend_of=resend_of,
        about_application_id=about_application_id,
    )
    session.add(message)
    session.flush()
    return message


def claim_due(*, session: Session, limit: int, at: datetime | None = None) -> list[OutboxMessage]:
    """Lock and return up to ``limit`` due messages, oldest first (skip rows others hold)."""
    statement = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == MessageStatus.QUEUED,
            OutboxMessage.next_attempt_at <= (at or now()),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(statement))


def mark_sent(message: OutboxMessage, *, at: datetime | None = None) -> None:
    """Record a successful delivery."""
    message.status = MessageStatus.SENT
    message.sent_at = at or now()
    message.attempts += 1
    message.last_error = None


def mark_failed_attempt(
    message: OutboxMessage, error: str, *, max_attempts: int, at: datetime | None = None
) -> None:
    """Record a failed attempt: retry later with exponential backoff, or give up."""
    message.attempts += 1
    message.last_error = error[:2000]
    if message.attempts >= max_attempts:
        message.status = MessageStatus.FAILED
        return
    delay = min(BACKOFF_BASE_SECONDS * 2 ** (message.attempts - 1), BACKOFF_CAP_SECONDS)
    message.next_attempt_at = (at or now()) + timedelta(seconds=delay)


def iter_queued(*, session: Session) -> Iterator[OutboxMessage]:
    """Every queued message, in order (for reports)."""
    yield from session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == MessageStatus.QUEUED)
        .order_by(OutboxMessage.id)
    )
