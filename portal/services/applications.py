"""Applications: creating them, their links, and looking them up for the desk."""

from datetime import date, datetime

from sqlmodel import Session, func, select

from portal.core.business_days import add_business_days
from portal.core.clock import local_date, now, today
from portal.mail.candidate import queue_acknowledgement
from portal.models import LANGUAGES, Application, Client, Job, Recruiter, Stage, Update, UpdateKind
from portal.services import N_, InputError, NotFound
from portal.services.audit import Actor, record_by
from portal.services.catalog import get_job, job_stages
from portal.services.recruiters import normalise_email
from portal.services.webhooks import emit_application_created


def default_promise(*, job: Job, client: Client, start: date | None = None) -> date:
    """The job's default next-update date: its interval in business days from today."""
    return add_business_days(start or today(), job.promise_days, client.country)


def create_application(
    *, session: Session, job_id: int, name: str, email: str, language: str | None = None,
    actor: Actor | None = None, stage_key: str | None = None, author_id: int | None = None,
    at: datetime | None = None, notify: bool = True, check_duplicate: bool = True,
) -> Application:
    """Register a candidate for a job; the first timeline entry says the application arrived.

    Audited as ``application.created`` by ``actor`` (None: not audited, for seed data).

    The candidate's acknowledgement email is queued in the same transaction (``notify``), and
    so is the ``application.created`` webhook event. ``check_duplicate=False`` is for callers
    that already checked the job's emails in one query (the CSV import): the per-call check
    compares ``lower(email)`` across the job, which no index serves.
    """
    job = get_job(session=session, job_id=job_id) if job_id else None
    if job is None:
        raise InputError("job_id", N_("choose a job"))
    client = session.get(Client, job.client_id)
    name = (name or "").strip()
    if not name:
        raise InputError("name", N_("the candidate's name is needed"))
    if len(name) > 120:
        raise InputError("name", N_("at most %(count)d characters"), count=120)
    email = normalise_email(email)
    language = language or client.default_language
    if language not in LANGUAGES:
        raise InputError("language", N_("one of %(choices)s"), choices=", ".join(LANGUAGES))
    stages = job_stages(session=session, job_id=job.id)
    stage = stages[0]
    if stage_key:
        matches = [s for s in stages if s.key == stage_key]
        if not matches:
            known = ", ".join(s.key for s in stages)
            raise InputError(
                "stage", N_("unknown stage %(key)s (known: %(known)s)"),
                key=repr(stage_key), known=known,
            )
        stage = matches[0]
    duplicate = check_duplicate and session.exec(
        select(Application.id).where(
            Application.job_id == job.id, func.lower(Application.email) == email.lower()
        )
    ).first()
    if duplicate:
        raise InputError(
            "email", N_("%(email)s already applied for this job (application %(id)d)"),
            email=email, id=duplicate,
        )
    moment = at or now()
    promised_by = None if stage.is_terminal else default_promise(
        job=job, client=client, start=local_date(moment)
    )
    application = Application(
        job_id=job.id, client_id=job.client_id, stage_id=stage.id, name=name, email=email,
        language=language, is_open=not stage.is_terminal, promised_by=promised_by,
        last_update_at=moment, created_at=moment, updated_at=moment,
    )
    session.add(application)
    session.flush()
    session.add(
        Update(
            application_id=application.id, kind=UpdateKind.CREATED, stage_id=stage.id,
            author_id=author_id, promised_by=promised_by, is_public=True, created_at=moment,
        )
    )
    session.flush()
    if notify:
        owner = session.get(Recruiter, job.owner_id) if job.owner_id else None
        queue_acknowledgement(
            session=session, application=application, job=job, client=client, stage=stage,
            owner=owner,
        )
    emit_application_created(session=session, application=application)
    record_by(actor, session=session, action="application.created",
              application_id=application.id)
    return application


def get_application(*, session: Session, application_id: int) -> Application:
    """The application, or NotFound."""
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound(f"no application with id {application_id}")
    return application


def revoke_link(*, session: Session, application: Application,
                actor: Actor | None = None) -> int:
    """Invalidate every link sent so far; returns the new token version (audited as
    ``link.revoked``)."""
    application.token_version += 1
    application.updated_at = now()
    session.add(application)
    session.flush()
    record_by(actor, session=session, action="link.revoked", application_id=application.id,
              detail={"token_version": application.token_version})
    return application.token_version


def application_context(*, session: Session, application: Application) -> tuple[Job, Client, Stage]:
    """The job, client and current stage of an application."""
    job = session.get(Job, application.job_id)
    client = session.get(Client, application.client_id)
    stage = session.get(Stage, application.stage_id)
    if job is None or client is None or stage is None:
        raise NotFound("application refers to a missing job, client or stage")
    return job, client, stage


def unsubscribe(*, session: Session, application_id: int) -> Application | None:
    """Stop emails to the candidate (once; their status page keeps working)."""
    application = session.get(Application, application_id)
    if application is None:
        return None
    if application.unsubscribed_at is None:
        moment = now()
        application.unsubscribed_at = moment
        session.add(application)
        session.add(
            Update(
                application_id=application.id, kind=UpdateKind.SYSTEM, is_public=False,
                internal_note="The candidate opted out of emails (unsubscribe link).",
                created_at=moment,
            )
        )
        session.flush()
    return application
