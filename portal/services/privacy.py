"""Personal data: a candidate's export, erasure (anonymisation) and the retention run.

Anonymising replaces what identifies a person (name, email, every note and question, the
content of the emails sent to them) and revokes their links, but keeps the figures that are
not personal: dates of updates, promised dates (so "promise kept / late" stays right), stages,
job and client. It is one set of UPDATE statements over an id range, shared by a single
erasure and the retention run, so both leave exactly the same result and the run never loads
ORM objects: memory stays flat however many applications there are.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, select, update
from sqlmodel import Session

from portal.core.clock import local_zone, now
from portal.mail.candidate import queue_erasure_confirmation
from portal.models import (
    Application,
    Client,
    DeliveryStatus,
    Job,
    MessageStatus,
    OutboxMessage,
    Recruiter,
    Stage,
    Update,
    WebhookDelivery,
)
from portal.services.audit import Actor, record_by

ANONYMISED_NAME = "(anonymised)"
ANONYMISED_EMAIL = "erased@anonymised.invalid"
ERASED_SUBJECT = "(erased)"
RETENTION_BATCH = 20_000


def _by(actor: Actor) -> dict:
    """Who asked, in a data-rights event: the candidate (their actor's mark) or an admin."""
    return {"by": "admin"} if actor.kind == "recruiter" else {}


def export_application(
    *, session: Session, application: Application, actor: Actor | None = None
) -> dict:
    """Everything the portal holds about one candidate's application, as JSON-ready data.

    Internal notes and the emails sent to them are included: under the GDPR (art. 15) a
    candidate may see the personal data held about them, recruiters' notes included.
    Audited as ``gdpr.export`` by ``actor``.
    """
    if actor is not None:
        record_by(actor, session=session, action="gdpr.export", application_id=application.id,
                  detail=_by(actor))
    job = session.get(Job, application.job_id)
    client = session.get(Client, application.client_id)
    stages = {s.id: s for s in session.scalars(select(Stage).where(Stage.job_id == job.id))}
    authors = {r.id: r.name for r in session.scalars(select(Recruiter))}

    def stamp(value):
        return value.isoformat() if value is not None else None

    updates = session.scalars(
        select(Update).where(Update.application_id == application.id)
        .order_by(Update.created_at, Update.id)
    )
    emails = session.scalars(
        select(OutboxMessage).where(OutboxMessage.application_id == application.id)
        .order_by(OutboxMessage.id)
    )
    current = stages.get(application.stage_id)
    return {
        "format": "candidate-portal.export.v1",
        "exported_at": stamp(now()),
        "application": {
            "id": application.id, "name": application.name, "email": application.email,
            "language": application.language, "is_open": application.is_open,
            "stage": current.key if current else None,
            "stage_label": current.label_in(application.language) if current else None,
            "promised_by": stamp(application.promised_by),
            "applied_at": stamp(application.created_at),
            "last_update_at": stamp(application.last_update_at),
            "unsubscribed_at": stamp(application.unsubscribed_at),
            "anonymised_at": stamp(application.anonymised_at),
        },
        "job": {"title": job.title},
        "client": {"name": client.name, "privacy_url": client.privacy_url},
        "updates": [
            {
                "created_at": stamp(entry.created_at), "kind": entry.kind,
                "stage": stages[entry.stage_id].key if entry.stage_id in stages else None,
                "note_to_candidate": entry.public_note, "internal_note": entry.internal_note,
                "visible_to_candidate": entry.is_public,
                "author": authors.get(entry.author_id),
                "promised_by": stamp(entry.promised_by),
            }
            for entry in updates
        ],
        "emails": [
            {
                "created_at": stamp(message.created_at), "sent_at": stamp(message.sent_at),
                "status": message.status, "to": message.to_address, "subject": message.subject,
                "body_text": message.body_text,
            }
            for message in emails
        ],
    }


def _scrub(session: Session, ids, low: int, high: int) -> None:
    """Anonymise the applications ``ids`` selects (a subquery of application ids between
    ``low`` and ``high``; the range lets every statement walk its index instead of the table).

    The notes and emails first: their statements select the applications through the same
    condition, which the last statement (setting ``anonymised_at``) makes false.
    """
    moment = now()

    def scrub(model, column, values: dict, *, waiting: str, failed: str) -> None:
        """Rows of ``model`` whose ``column`` is one of the applications: those still
        ``waiting`` to go out are ``failed`` instead, and every one gets ``values``."""
        chosen = (column.between(low, high), column.in_(ids))
        for statement in (
            update(model).where(*chosen, model.status == waiting)
            .values(status=failed, last_error="erased before delivery"),
            update(model).where(*chosen).values(**values),
        ):
            session.execute(statement.execution_options(synchronize_session=False))

    session.execute(
        update(Update)
        .where(Update.application_id.between(low, high), Update.application_id.in_(ids))
        .values(public_note=None, internal_note=None)
        .execution_options(synchronize_session=False)
    )
    queued, failed = MessageStatus.QUEUED, MessageStatus.FAILED
    # The candidate's own emails.
    scrub(OutboxMessage, OutboxMessage.application_id,
          {"to_address": ANONYMISED_EMAIL, "subject": ERASED_SUBJECT, "body_text": "",
           "body_html": None, "headers": {}}, waiting=queued, failed=failed)
    # The recruiter's emails quoting the candidate (their question, their withdrawal).
    scrub(OutboxMessage, OutboxMessage.about_application_id,
          {"subject": ERASED_SUBJECT, "body_text": "", "body_html": None},
          waiting=queued, failed=failed)
    # Webhook events carry the name, email and notes.
    scrub(WebhookDelivery, WebhookDelivery.application_id, {"payload": "{}"},
          waiting=DeliveryStatus.PENDING, failed=DeliveryStatus.FAILED)
    session.execute(
        update(Application)
        .where(Application.id.between(low, high), Application.id.in_(ids))
        .values(name=ANONYMISED_NAME, email=ANONYMISED_EMAIL, is_open=False,
                token_version=Application.token_version + 1,
                unsubscribed_at=func.coalesce(Application.unsubscribed_at, moment),
                anonymised_at=moment, updated_at=moment)
        .execution_options(synchronize_session=False)
    )


def send_erasure_confirmation(
    *, session: Session, application: Application, actor: Actor | None = None
) -> OutboxMessage:
    """The candidate asked for erasure: email them the confirmation link (audited as
    ``gdpr.erasure_requested`` by ``actor``). The caller commits."""
    job = session.get(Job, application.job_id)
    client = session.get(Client, application.client_id)
    message = queue_erasure_confirmation(session=session, application=application, job=job,
                                         client=client)
    if actor is not None:
        record_by(actor, session=session, action="gdpr.erasure_requested",
                  application_id=application.id, detail=_by(actor))
    return message


def anonymise_application(
    *, session: Session, application_id: int, actor: Actor | None = None
) -> bool:
    """Anonymise one application (an erasure request); False when it already was. Audited as
    ``gdpr.erasure`` by ``actor``."""
    ids = select(Application.id).where(
        Application.id == application_id, Application.anonymised_at.is_(None)
    ).scalar_subquery()
    if session.scalar(select(func.count()).where(Application.id.in_(ids))) == 0:
        return False
    _scrub(session, ids, application_id, application_id)
    session.expire_all()
    if actor is not None:
        record_by(actor, session=session, action="gdpr.erasure", application_id=application_id,
                  detail=_by(actor))
    return True


@dataclass(frozen=True)
class RetentionResult:
    cutoff: date
    count: int
    dry_run: bool

    def summary(self) -> str:
        verb = "Would anonymise" if self.dry_run else "Anonymised"
        noun = "application" if self.count == 1 else "applications"
        return f"{verb} {self.count} {noun} closed before {self.cutoff.isoformat()}"


def retention_cutoff(*, days: int, today: date) -> date:
    return today - timedelta(days=days)


def _due(cutoff_moment: datetime):
    # Closed and quiet since the cutoff: the last news a closed application got is its close
    # (or a note after it), so this never anonymises earlier than ``days`` after closing.
    return and_(
        Application.is_open.is_(False),
        Application.anonymised_at.is_(None),
        Application.last_update_at < cutoff_moment,
    )


def run_retention(
    *, session: Session, days: int, today: date, dry_run: bool = False,
    batch_size: int = RETENTION_BATCH, actor: Actor | None = None,
    audit_detail: dict | None = None,
) -> RetentionResult:
    """Anonymise every application closed more than ``days`` days ago, in id-range batches.

    Each batch is its own transaction, so an interrupted run keeps what it did and the next
    run goes on (idempotent: anonymised applications no longer match). A real run is audited
    as ``retention.run`` by ``actor`` (count, cutoff, and ``audit_detail``: the caller's other
    clean-ups), in the caller's transaction.
    """
    cutoff = retention_cutoff(days=days, today=today)
    cutoff_moment = datetime.combine(cutoff, time.min, tzinfo=local_zone())
    due = _due(cutoff_moment)
    if dry_run:
        count = session.scalar(select(func.count()).select_from(Application).where(due))
        return RetentionResult(cutoff=cutoff, count=int(count or 0), dry_run=True)
    low, high = session.execute(
        select(func.min(Application.id), func.max(Application.id)).where(due)
    ).one()
    total = 0
    if low is not None:
        start = low
        while start <= high:
            end = start + batch_size - 1
            ids = select(Application.id).where(
                Application.id.between(start, end), due
            ).scalar_subquery()
            count = session.scalar(select(func.count()).where(Application.id.in_(ids)))
            if count:
                _scrub(session, ids, start, end)
                total += count
            session.commit()
            start = end + 1
    session.expire_all()
    record_by(actor, session=session, action="retention.run",
              detail={"count": total, "cutoff": cutoff.isoformat(), **(audit_detail or {})})
    return RetentionResult(cutoff=cutoff, count=total, dry_run=False)

