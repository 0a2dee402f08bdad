"""What candidates do on their status page: ask, say they are still interested, withdraw, and
choose their language.

Each action appends one Update authored by nobody, keyed by the one-time request key of the form
it came from: when the same key arrives again (a double submit, a retry), the first entry is
returned and nothing else happens. The candidate's own words are the entry's public note, so
they see them in their timeline. These entries never move the promise or ``last_update_at``
("last update" is when the candidate last heard from the recruiter), but they bump
``updated_at``, so the status page's ETag changes.

A withdrawal moves the application to the job's stage with outcome "withdrawn". A pipeline
without such a stage is refused (``cannot_withdraw``) rather than closed under another closing
stage: "hired", "not selected" or "position closed" would tell the candidate something untrue.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from portal.core.clock import now
from portal.mail.candidate import queue_withdrawal_confirmation
from portal.mail.recruiter import queue_owner_notice
from portal.models import LANGUAGES, Application, Outcome, Stage, Update, UpdateKind
from portal.services import InputError
from portal.services.applications import application_context
from portal.services.webhooks import emit_application_event

MAX_QUESTION_LENGTH = 2000
MAX_REASON_LENGTH = 1000
REQUEST_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
# The desk is written in English; the internal note names the language in English.
LANGUAGE_NAMES = {"en": "English", "sv": "Swedish"}


class ActionRefused(InputError):
    """Why a candidate action was not taken; ``code`` lets the page say it in their language.

    Codes: ``empty``, ``too_long`` (params ``limit``, ``length``), ``closed``,
    ``cannot_withdraw``, ``expired_form`` (missing or malformed request key),
    ``unknown_language``.
    """

    def __init__(self, field: str, code: str, message: str, **params):
        super().__init__(field, message)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class ActionResult:
    """The entry the action made or found; ``created`` is False for a repeat or a no-op."""

    update: Update | None
    created: bool
    emails: tuple = ()


def new_request_key() -> str:
    """A one-time key for one rendered form (hidden field ``request_key``)."""
    return secrets.token_urlsafe(18)


def _checked_key(request_key: str | None) -> str:
    key = (request_key or "").strip()
    if not REQUEST_KEY.fullmatch(key):
        raise ActionRefused("request_key", "expired_form", "missing or malformed request key")
    return key


def _checked_text(text: str | None, *, field: str, limit: int, required: bool) -> str | None:
    text = (text or "").strip()
    if required and not text:
        raise ActionRefused(field, "empty", "write something first")
    if len(text) > limit:
        raise ActionRefused(
            field, "too_long", f"at most {limit} characters (this one has {len(text)})",
            limit=limit, length=len(text),
        )
    return text or None


def _refuse_if_closed(application: Application, field: str) -> None:
    if not application.is_open:
        raise ActionRefused(field, "closed", "this application is closed")


def _lock(session: Session, application: Application, moment: datetime) -> None:
    """Bump ``updated_at`` first and re-read the row.

    The write takes the row's lock, so concurrent actions on one application queue up and each
    sees what the one before it committed; on SQLite it also makes pysqlite open the real
    transaction (it only BEGINs before a write), so the SAVEPOINT below stays inside it.
    """
    session.flush()
    # A Core UPDATE, sent even when the value is unchanged (the ORM would skip a no-op).
    session.execute(
        sql_update(Application).where(Application.id == application.id)
        .values(updated_at=moment)
    )
    session.refresh(application)


def _entry_with_key(session: Session, application_id: int, request_key: str) -> Update | None:
    return session.exec(
        select(Update).where(
            Update.application_id == application_id, Update.request_key == request_key
        )
    ).first()


def _append(session: Session, update: Update) -> ActionResult:
    """Insert the entry, or return the one that already holds its request key."""
    try:
        # The unique (application_id, request_key) constraint is the last word: a concurrent
        # twin that got past the lookup fails here and rolls back to the savepoint only.
        with session.begin_nested():
            session.add(update)
    except IntegrityError:
        existing = _entry_with_key(session, update.application_id, update.request_key)
        if existing is None:
            raise
        return ActionResult(existing, created=False)
    return ActionResult(update, created=True)


def _record(
    session: Session, application: Application, *, kind: UpdateKind, request_key: str,
    moment: datetime, **fields,
) -> ActionResult:
    return _append(
        session,
        Update(
            application_id=application.id, kind=kind, author_id=None, promised_by=None,
            request_key=request_key, created_at=moment, **fields,
        ),
    )


def _notify_owner(session: Session, application: Application, result: ActionResult) -> tuple:
    job, client, _ = application_context(session=session, application=application)
    message = queue_owner_notice(
        session=session, application=application, update=result.update, job=job, client=client
    )
    return (message,) if message else ()


def ask_question(
    *, session: Session, application: Application, text: str | None, request_key: str | None,
    at: datetime | None = None,
) -> ActionResult:
    """The candidate asks the recruiter something; the job's owner is emailed."""
    key = _checked_key(request_key)
    question = _checked_text(text, field="question", limit=MAX_QUESTION_LENGTH, required=True)
    moment = at or now()
    _lock(session, application, moment)
    if existing := _entry_with_key(session, application.id, key):
        return ActionResult(existing, created=False)
    _refuse_if_closed(application, "question")
    result = _record(session, application, kind=UpdateKind.QUESTION, request_key=key,
                     moment=moment, public_note=question, is_public=True)
    if not result.created:
        return result
    emit_application_event(session=session, event_type="candidate.asked",
                           application=application, update=result.update)
    return ActionResult(result.update, True, _notify_owner(session, application, result))


def say_still_interested(
    *, session: Session, application: Application, request_key: str | None,
    at: datetime | None = None,
) -> ActionResult:
    """The candidate says they are still interested; the job's owner gets a short email."""
    key = _checked_key(request_key)
    moment = at or now()
    _lock(session, application, moment)
    if existing := _entry_with_key(session, application.id, key):
        return ActionResult(existing, created=False)
    _refuse_if_closed(application, "still_interested")
    result = _record(session, application, kind=UpdateKind.STILL_INTERESTED, request_key=key,
                     moment=moment, is_public=True)
    if not result.created:
        return result
    return ActionResult(result.update, True, _notify_owner(session, application, result))


def withdrawal_stage(*, session: Session, job_id: int) -> Stage | None:
    """The job's stage for a withdrawn application, or None when its pipeline has none."""
    return session.exec(
        select(Stage)
        .where(Stage.job_id == job_id, Stage.outcome == Outcome.WITHDRAWN)
        .order_by(Stage.position)
    ).first()


def withdraw(
    *, session: Session, application: Application, request_key: str | None,
    reason: str | None = None, at: datetime | None = None,
) -> ActionResult:
    """Close the application in the job's "withdrawn" stage, confirm by email, tell the owner.

    Withdrawing an application that is already closed does nothing (``update`` is None).
    """
    key = _checked_key(request_key)
    reason = _checked_text(reason, field="reason", limit=MAX_REASON_LENGTH, required=False)
    moment = at or now()
    stage = withdrawal_stage(session=session, job_id=application.job_id)
    _lock(session, application, moment)
    if existing := _entry_with_key(session, application.id, key):
        return ActionResult(existing, created=False)
    if not application.is_open:
        return ActionResult(None, created=False)
    if stage is None:
        raise ActionRefused(
            "withdraw", "cannot_withdraw", "this job's pipeline has no stage for withdrawals"
        )
    result = _record(session, application, kind=UpdateKind.WITHDRAWAL, request_key=key,
                     moment=moment, stage_id=stage.id, public_note=reason, is_public=True)
    if not result.created:
        return result
    application.stage_id = stage.id
    application.is_open = False
    application.promised_by = None
    application.reminded_at = None
    session.add(application)
    session.flush()
    emit_application_event(session=session, event_type="candidate.withdrew",
                           application=application, update=result.update)
    job, client, _ = application_context(session=session, application=application)
    emails = _notify_owner(session, application, result)
    confirmation = queue_withdrawal_confirmation(
        session=session, application=application, update=result.update, job=job, client=client
    )
    return ActionResult(result.update, True, emails + ((confirmation,) if confirmation else ()))


def choose_language(
    *, session: Session, application: Application, language: str | None,
    request_key: str | None, at: datetime | None = None,
) -> ActionResult:
    """The candidate's language for their page and emails; an internal note records a change."""
    key = _checked_key(request_key)
    if language not in LANGUAGES:
        raise ActionRefused("language", "unknown_language", f"one of {', '.join(LANGUAGES)}")
    if language == application.language:
        return ActionResult(None, created=False)  # nothing to change, nothing written
    moment = at or now()
    _lock(session, application, moment)
    if existing := _entry_with_key(session, application.id, key):
        return ActionResult(existing, created=False)
    if language == application.language:  # a concurrent switch got there first
        return ActionResult(None, created=False)
    note = f"The candidate switched their page and emails to {LANGUAGE_NAMES[language]}."
    result = _record(session, application, kind=UpdateKind.SYSTEM, request_key=key,
                     moment=moment, internal_note=note, is_public=False)
    if result.created:
        application.language = language
        session.add(application)
        session.flush()
    return result
