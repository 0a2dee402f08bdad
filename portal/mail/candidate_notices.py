"""Emails about what candidates did on their status page, queued in the outbox.

The job's owner hears of a question, a "still interested" and a withdrawal, in the recruiter's
own language (``Recruiter.language``), with a direct link to the application on the desk. A
candidate who withdrew gets a confirmation in their language. Like every other email, these are
written in the transaction of the action that causes them.
"""

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlmodel import Session

from portal.mail.notifications import (
    candidate_context,
    mail_domain,
    render_pair,
    signature_for,
    unsubscribe_headers,
)
from portal.models import (
    LANGUAGES,
    Application,
    Client,
    Job,
    OutboxMessage,
    Recruiter,
    Stage,
    Update,
    UpdateKind,
)
from portal.services.outbox import enqueue_email


def _owner(session: Session, job: Job) -> Recruiter | None:
    owner = session.get(Recruiter, job.owner_id) if job.owner_id else None
    return owner if owner is not None and owner.is_active else None


def _owner_subject(kind: str, name: str, job: Job) -> str:
    if kind == UpdateKind.QUESTION:
        return _("%(name)s asked a question about %(job)s", name=name, job=job.title)
    if kind == UpdateKind.WITHDRAWAL:
        return _("%(name)s withdrew their application for %(job)s", name=name, job=job.title)
    return _("%(name)s is still interested in %(job)s", name=name, job=job.title)


def queue_owner_notice(
    *, session: Session, application: Application, update: Update, job: Job, client: Client,
) -> OutboxMessage | None:
    """Tell the job's owner what the candidate did (None when the job has no active owner)."""
    owner = _owner(session, job)
    if owner is None:
        return None
    language = owner.language if owner.language in LANGUAGES else "en"
    stage = session.get(Stage, update.stage_id) if update.stage_id else None
    with force_locale(language):
        subject = _owner_subject(update.kind, application.name, job)
        text, html = render_pair(
            "candidate_action_recruiter", language=language, subject=subject,
            kind=str(update.kind), first_name=owner.first_name,
            candidate_name=application.name,
            job_title=job.title, client_name=client.name, note=update.public_note,
            stage_label=stage.label_in(language) if stage else None,
            application_url=f"{current_app.config['BASE_URL']}/admin/applications/{application.id}",
        )
    # Not application_id: the desk lists those as emails to the candidate. about_application_id
    # lets an erasure find this email, which quotes the candidate.
    return enqueue_email(
        session=session, purpose=f"candidate:{update.kind}", to_address=owner.email,
        subject=subject, body_text=text, body_html=html, domain=mail_domain(),
        recruiter_id=owner.id, headers={"Auto-Submitted": "auto-generated"},
        about_application_id=application.id,
    )


def queue_withdrawal_confirmation(
    *, session: Session, application: Application, update: Update, job: Job, client: Client,
) -> OutboxMessage | None:
    """Confirm a withdrawal to the candidate (unless they stopped the emails)."""
    if application.unsubscribed_at is not None:
        return None
    context = candidate_context(application, job, client)
    owner = _owner(session, job)
    with force_locale(application.language):
        subject = _("You have withdrawn your application for %(job)s at %(client)s",
                    job=job.title, client=client.name)
        text, html = render_pair(
            "withdrawal_confirmation", **context, subject=subject, reason=update.public_note,
            owner_name=owner.name if owner else None, owner_email=owner.email if owner else None,
            signature=signature_for(None, client),
        )
    return enqueue_email(
        session=session, purpose="withdrawal_confirmation", to_address=application.email,
        subject=subject, body_text=text, body_html=html, domain=mail_domain(),
        application_id=application.id, headers=unsubscribe_headers(context["unsubscribe_url"]),
    )
