"""The emails to recruiters, each in the recruiter's own language (``Recruiter.language``),
queued in the outbox: the daily reminder digest, and the notice to a job's owner of what a
candidate did on their status page (a question, a "still interested", a withdrawal), with a
direct link to the application on the desk.
"""

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlmodel import Session

from portal.mail.compose import active_owner, in_language, mail_domain, render_pair
from portal.mail.outbox import enqueue_email
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


def recruiter_language(recruiter: Recruiter) -> str:
    """The language a recruiter reads their emails in."""
    return recruiter.language if recruiter.language in LANGUAGES else "en"


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
    with in_language(recruiter.language):
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
    owner = active_owner(session, job)
    if owner is None:
        return None
    language = recruiter_language(owner)
    stage = session.get(Stage, update.stage_id) if update.stage_id else None
    with in_language(language):
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
