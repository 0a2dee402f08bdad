"""A candidate's emails as the recruiter sees them: listed on the application, resent (audited)."""

from sqlalchemy import select
from sqlmodel import Session

from portal.mail.outbox import enqueue_email
from portal.models import OutboxMessage
from portal.services.audit import Actor, record_by


def resend(
    *, session: Session, message: OutboxMessage, domain: str, actor: Actor | None = None
) -> OutboxMessage:
    """Queue a copy of a message (a new delivery with its own Message-ID); audited as
    ``application.email_resent`` by ``actor``."""
    copy = enqueue_email(
        session=session, purpose=message.purpose, to_address=message.to_address,
        subject=message.subject, body_text=message.body_text, body_html=message.body_html,
        domain=domain, application_id=message.application_id,
        recruiter_id=message.recruiter_id, headers=dict(message.headers),
        about_application_id=message.about_application_id,
        resend_of=message.id,
    )
    if message.application_id is not None:
        record_by(actor, session=session, action="application.email_resent",
                  application_id=message.application_id, detail={"message": message.id})
    return copy


def messages_for_application(*, session: Session, application_id: int) -> list[OutboxMessage]:
    """Every email about one application, newest first."""
    statement = (
        select(OutboxMessage)
        .where(OutboxMessage.application_id == application_id)
        .order_by(OutboxMessage.id.desc())
    )
    return list(session.scalars(statement))
