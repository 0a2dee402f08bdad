"""The emails to candidates, each in the candidate's language, queued in the outbox.

Called inside the transaction of the change that causes the email, so the message exists
exactly when its cause does. The application is the recipient; its ``language`` is the
email's (the status-links email, which may list several applications, is given its language).
"""

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlmodel import Session

from portal.core.tokens import make_erasure_token
from portal.mail.compose import (
    active_owner,
    candidate_context,
    in_language,
    mail_domain,
    render_pair,
    signature_for,
    unsubscribe_headers,
)
from portal.mail.outbox import enqueue_email
from portal.models import Application, Client, Job, OutboxMessage, Recruiter, Stage, Update


def queue_acknowledgement(
    *, session: Session, application: Application, job: Job, client: Client, stage: Stage,
    owner: Recruiter | None,
) -> OutboxMessage | None:
    """The answer everyone gets at once: what they applied for, what next, and when."""
    if application.unsubscribed_at is not None:
        return None
    context = candidate_context(application, job, client)
    with in_language(application.language):
        subject = _("We have your application: %(job)s at %(client)s",
                    job=job.title, client=client.name)
        text, html = render_pair(
            "acknowledgement", **context, subject=subject,
            stage_label=stage.label_in(application.language),
            guidance=stage.guidance_in(application.language),
            promised_by=application.promised_by, signature=signature_for(owner, client),
        )
    return enqueue_email(
        session=session, purpose="acknowledgement", to_address=application.email,
        subject=subject, body_text=text, body_html=html, domain=mail_domain(),
        application_id=application.id, headers=unsubscribe_headers(context["unsubscribe_url"]),
    )


def queue_update_email(
    *, session: Session, application: Application, update: Update, job: Job, client: Client,
    stage: Stage, author: Recruiter | None,
) -> OutboxMessage | None:
    """Tell the candidate about a stage change or a note (internal notes never get here)."""
    if application.unsubscribed_at is not None:
        return None
    context = candidate_context(application, job, client)
    stage_changed = update.stage_id is not None
    with in_language(application.language):
        if update.kind == "no_news":
            subject = _("No news yet on your application: %(job)s", job=job.title)
            heading = _("No news yet")
        elif stage_changed:
            subject = _("Your application for %(job)s: %(stage)s",
                        job=job.title, stage=stage.label_in(application.language))
            heading = stage.label_in(application.language)
        else:
            subject = _("News on your application: %(job)s", job=job.title)
            heading = _("News on your application")
        text, html = render_pair(
            "update", **context, subject=subject, heading=heading, note=update.public_note,
            stage_changed=stage_changed, stage_label=stage.label_in(application.language),
            guidance=stage.guidance_in(application.language),
            promised_by=application.promised_by, signature=signature_for(author, client),
        )
    return enqueue_email(
        session=session, purpose=f"update:{update.kind}", to_address=application.email,
        subject=subject, body_text=text, body_html=html, domain=mail_domain(),
        application_id=application.id, headers=unsubscribe_headers(context["unsubscribe_url"]),
    )


def queue_withdrawal_confirmation(
    *, session: Session, application: Application, update: Update, job: Job, client: Client,
) -> OutboxMessage | None:
    """Confirm a withdrawal to the candidate (unless they stopped the emails)."""
    if application.unsubscribed_at is not None:
        return None
    context = candidate_context(application, job, client)
    owner = active_owner(session, job)
    with in_language(application.language):
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


def queue_erasure_confirmation(
    *, session: Session, application: Application, job: Job, client: Client
) -> OutboxMessage:
    """The email with the erasure confirmation link, in the candidate's language; sent even
    when they stopped the update emails, since they asked for this one."""
    url = f"{current_app.config['BASE_URL']}/erase/" + make_erasure_token(
        application.id, application.token_version
    )
    hours = current_app.config["ERASURE_LINK_HOURS"]
    with in_language(application.language):
        subject = _("Confirm the erasure of your data: %(job)s at %(client)s",
                    job=job.title, client=client.name)
        text, html = render_pair(
            "erasure_confirmation", language=application.language, subject=subject,
            first_name=(application.name.split() or [""])[0], job_title=job.title,
            client_name=client.name, erasure_url=url, hours=hours,
        )
    return enqueue_email(
        session=session, purpose="erasure_confirmation", to_address=application.email,
        subject=subject, body_text=text, body_html=html, domain=mail_domain(),
        application_id=application.id, headers={"Auto-Submitted": "auto-generated"},
    )


@dataclass(frozen=True)
class LinkedApplication:
    """One line of the status-links email."""

    job_title: str
    stage_label: str
    url: str


def queue_status_links(
    *, session: Session, client: Client, to_address: str, language: str,
    applications: list[LinkedApplication], application_id: int | None,
) -> OutboxMessage:
    """One email with the status links of ``applications`` (a candidate's open applications
    with ``client``), in ``language``; ``application_id`` is the newest one's."""
    with in_language(language):
        subject = _("Your application status links: %(client)s", client=client.name)
        text, html = render_pair(
            "lookup", language=language, subject=subject, client_name=client.name,
            applications=applications,
        )
    return enqueue_email(
        session=session, purpose="lookup", to_address=to_address, subject=subject,
        body_text=text, body_html=html, domain=mail_domain(),
        application_id=application_id, headers={"Auto-Submitted": "auto-replied"},
    )

