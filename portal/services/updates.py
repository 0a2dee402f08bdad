"""Posting updates: stage changes, notes, internal notes, promises and "no news yet"."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from portal.core.clock import local_date, now
from portal.core.i18n import format_day
from portal.mail.candidate import queue_update_email
from portal.models import Application, Client, Job, Recruiter, Stage, Update, UpdateKind
from portal.services import N_, InputError
from portal.services.applications import application_context, default_promise
from portal.services.audit import Actor, record_by
from portal.services.catalog import stage_by_key
from portal.services.promises import check_promise_date
from portal.services.webhooks import emit_application_event

MAX_NOTE_LENGTH = 5000

# "If I have nothing to report, I report exactly that." (the seed column)
NO_NEWS_NOTES = {
    "en": (
        "I had hoped to hear from {client} by today about how the process continues, but I "
        "haven't yet. I haven't forgotten you: I'll get back to you as soon as I know more, "
        "and by {promise} at the latest."
    ),
    "sv": (
        "Jag hade hoppats få besked från {client} i dag om hur processen fortsätter, men jag "
        "har ännu inte fått svar. Jag har inte glömt dig: jag återkommer så snart jag vet mer, "
        "och senast {promise}."
    ),
}


def _clean(text: str | None, field: str) -> str | None:
    text = (text or "").strip()
    if len(text) > MAX_NOTE_LENGTH:
        raise InputError(
            field, N_("at most %(limit)d characters (this one has %(count)d)"),
            limit=MAX_NOTE_LENGTH, count=len(text),
        )
    return text or None


def post_update(
    *, session: Session, application: Application, author: Recruiter | None,
    actor: Actor | None = None, stage_key: str | None = None, public_note: str | None = None,
    internal_note: str | None = None, promised_by: date | None = None,
    kind: UpdateKind | None = None, at: datetime | None = None, notify: bool = True,
) -> Update:
    """Append an update; a public one tells the candidate something and sets the next promise.

    Internal-only notes never reach the candidate and leave the promise alone. A stage change
    or a note to the candidate also queues their email (unless ``notify`` is off, as for demo
    histories), in this same transaction, as is the ``application.updated`` webhook event.
    ``at`` is the moment of the update (default: now). Audited by ``actor`` as
    ``application.update`` (``application.no_news`` for that kind), plus
    ``application.stage_change`` when the stage moved; None records nothing (seed data).
    """
    moment = at or now()
    day = local_date(moment)
    job, client, current_stage = application_context(session=session, application=application)
    public_note = _clean(public_note, "public_note")
    internal_note = _clean(internal_note, "internal_note")
    stage_before = application.stage_id
    new_stage: Stage | None = None
    if stage_key and stage_key != current_stage.key:
        new_stage = stage_by_key(session=session, job_id=job.id, key=stage_key)
    check_promise_date(promised_by, today=day)
    if not (new_stage or public_note or internal_note or promised_by):
        raise InputError(
            "public_note",
            N_("nothing to post: change the stage, write a note or set a promise"),
        )
    if kind is None:
        if new_stage:
            kind = UpdateKind.STAGE_CHANGE
        elif public_note:
            kind = UpdateKind.NOTE
        elif promised_by:
            kind = UpdateKind.SYSTEM
        else:
            kind = UpdateKind.INTERNAL
    is_public = kind != UpdateKind.INTERNAL
    if new_stage:
        application.stage_id = new_stage.id
        application.is_open = not new_stage.is_terminal
    previous_promise = application.promised_by
    if not application.is_open:
        application.promised_by = None
    elif is_public:
        application.promised_by = promised_by or default_promise(
            job=job, client=client, start=day
        )
    if application.promised_by != previous_promise:
        application.reminded_at = None  # a new promise has not lapsed, so nobody was reminded
    if is_public:
        application.last_update_at = moment
        application.updated_at = moment
    update = Update(
        application_id=application.id, kind=kind, stage_id=new_stage.id if new_stage else None,
        public_note=public_note, internal_note=internal_note,
        author_id=author.id if author else None,
        promised_by=application.promised_by if is_public else None,
        is_public=is_public, created_at=moment,
    )
    session.add(application)
    session.add(update)
    session.flush()
    if notify and is_public and (new_stage or public_note):
        queue_update_email(
            session=session, application=application, update=update, job=job, client=client,
            stage=new_stage or current_stage, author=author,
        )
    emit_application_event(
        session=session, event_type="application.updated", application=application, update=update
    )
    if kind == UpdateKind.NO_NEWS:
        record_by(actor, session=session, action="application.no_news",
                  application_id=application.id)
    else:
        record_by(actor, session=session, action="application.update",
                  application_id=application.id,
                  detail={"public_note": bool(public_note), "internal_note": bool(internal_note)})
    if new_stage:
        record_by(actor, session=session, action="application.stage_change",
                  application_id=application.id,
                  detail={"from_stage_id": stage_before, "to_stage_id": application.stage_id})
    return update


def no_news_note(*, language: str, client: Client, promise: date) -> str:
    """The honest "no news yet" text in the candidate's language."""
    template = NO_NEWS_NOTES.get(language, NO_NEWS_NOTES["en"])
    return template.format(client=client.name, promise=format_day(promise, language))


def post_no_news_update(
    *, session: Session, application: Application, author: Recruiter | None,
    actor: Actor | None = None, promised_by: date | None = None, at: datetime | None = None,
    notify: bool = True,
) -> Update:
    """One click: tell the candidate there is no news yet, and move the promise (audited as
    ``application.no_news`` by ``actor``)."""
    if not application.is_open:
        raise InputError(
            "stage", N_("this application is closed; there is no promise to keep")
        )
    job = session.get(Job, application.job_id)
    client = session.get(Client, application.client_id)
    start = local_date(at) if at else None
    promise = promised_by or default_promise(job=job, client=client, start=start)
    note = no_news_note(language=application.language, client=client, promise=promise)
    return post_update(
        session=session, application=application, author=author, public_note=note,
        promised_by=promise, kind=UpdateKind.NO_NEWS, at=at, notify=notify, actor=actor,
    )


# Signed by the portal, never pretending to be the recruiter.
AUTO_NOTICE_NOTES = {
    "en": (
        "This is an automatic message from the application portal of {client}. Your next update "
        "was due on {due}, and we are sorry that it is late. There is no news yet: your "
        "application is still in the process. You will hear from us by {promise} at the latest."
    ),
    "sv": (
        "Det här är ett automatiskt meddelande från ansökningsportalen för {client}. Ditt nästa "
        "besked skulle ha kommit den {due}, och vi beklagar att det dröjer. Det finns inget nytt "
        "än: din ansökan är fortfarande med i processen. Du hör av oss senast {promise}."
    ),
}


def post_auto_notice(
    *, session: Session, application: Application, at: datetime | None = None
) -> Update:
    """The portal's own "no news yet" after a lapsed promise (jobs that switched it on)."""
    job = session.get(Job, application.job_id)
    client = session.get(Client, application.client_id)
    moment = at or now()
    promise = default_promise(job=job, client=client, start=local_date(moment))
    template = AUTO_NOTICE_NOTES.get(application.language, AUTO_NOTICE_NOTES["en"])
    note = template.format(
        client=client.name, due=format_day(application.promised_by, application.language),
        promise=format_day(promise, application.language),
    )
    return post_update(
        session=session, application=application, author=None, public_note=note,
        promised_by=promise, kind=UpdateKind.NO_NEWS, at=moment, actor=Actor.system(),
    )


@dataclass(frozen=True)
class TimelineItem:
    update: Update
    stage: Stage | None
    author: Recruiter | None


def application_timeline(*, session: Session, application_id: int) -> list[TimelineItem]:
    """Every entry of an application, newest first, with stage labels and author names."""
    statement = (
        select(Update, Stage, Recruiter)
        .outerjoin(Stage, Stage.id == Update.stage_id)
        .outerjoin(Recruiter, Recruiter.id == Update.author_id)
        .where(Update.application_id == application_id)
        .order_by(Update.created_at.desc(), Update.id.desc())
    )
    return [TimelineItem(*row) for row in session.exec(statement)]
