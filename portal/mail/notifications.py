"""What the portal tells people by email, rendered in their language and queued in the outbox.

Called by the services inside the transaction of the change that causes the email, so the
message exists exactly when its cause does. Links come from ``BASE_URL``, never a Host header.
"""

from dataclasses import dataclass
from datetime import date
from email.utils import parseaddr

from flask import current_app, render_template
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlmodel import Session

from portal.core.tokens import candidate_link, make_unsubscribe_token
from portal.models import Application, Client, Job, OutboxMessage, Recruiter, Stage, Update
from portal.services.outbox import enqueue_email


def mail_domain() -> str:
    """The domain of ``MAIL_FROM``, used in Message-IDs."""
    address = parseaddr(current_app.config["MAIL_FROM"])[1]
    return address.rpartition("@")[2] or "localhost"


def _first_name(name: str) -> str:
    return name.split()[0] if name.strip() else name


def candidate_context(application: Application, job: Job, client: Client) -> dict:
    base = current_app.config["BASE_URL"]
    return {
        "language": application.language,
        "first_name": _first_name(application.name),
        "job_title": job.title,
        "client_name": client.name,
        "status_url": candidate_link(
            application.id, application.token_version, client.status_page_url
        ),
        "unsubscribe_url": f"{base}/u/{make_unsubscribe_token(application.id)}",
    }


def unsubscribe_headers(unsubscribe_url: str) -> dict:
    # RFC 8058 one-click unsubscribe: mail clients POST "List-Unsubscribe=One-Click" here.
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def render_pair(name: str, **context) -> tuple[str, str]:
    return (
        render_template(f"email/{name}.txt", **context),
        render_template(f"email/{name}.html", **context),
    )


def signature_for(author: Recruiter | None, client: Client) -> str:
    if author is None:
        return _("Sent automatically by the %(client)s application portal", client=client.name)
    return _("Best regards,\n%(name)s", name=author.name)


def queue_acknowledgement(
    *, session: Session, application: Application, job: Job, client: Client, stage: Stage,
    owner: Recruiter | None,
) -> OutboxMessage | None:
    """The answer everyone gets at once: what they applied for, what next, and when."""
    if application.unsubscribed_at is not None:
        return None
    context = candidate_context(application, job, client)
    with force_locale(application.language):
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
    with force_locale(application.language):
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


@dataclass(frozen=True)
class DigestItem:
    application_id: int
    name: str
    job_title: str
    client_name: str
    promised_by: date
    days_overdue: int
    url: str


def queue_digest(
    *, session: Session, recruiter: Recruiter, overdue: list[DigestItem], due: list[DigestItem],
    overdue_total: int, due_total: int,
) -> OutboxMessage:
    """A recruiter's daily reminder: lapsed promises first, then those due soon."""
    base = current_app.config["BASE_URL"]
    with force_locale(recruiter.language):
        if overdue_total:
            subject = _("%(overdue)d lapsed and %(due)d upcoming promises to candidates",
                        overdue=overdue_total, due=due_total)
        else:
            subject = ngettext("%(num)d promise to a candidate falls due soon",
                               "%(num)d promises to candidates fall due soon", due_total)
        text, html = render_pair(
            "digest", language=recruiter.language, subject=subject,
            first_name=recruiter.first_name, overdue=overdue, due=due,
            overdue_total=overdue_total, due_total=due_total, desk_url=f"{base}/admin/",
        )
    return enqueue_email(
        session=session, purpose="digest", to_address=recruiter.email, subject=subject,
        body_text=text, body_html=html, domain=mail_domain(), recruiter_id=recruiter.id,
        headers={"Auto-Submitted": "auto-generated"},
    )
