"""Bulk updates: one update posted to many applications at once, in one transaction.

Each application still goes through the same service function a single update uses
(``post_update`` / ``post_no_news_update``), so every candidate gets their own email in their
own language through the outbox, and whatever those functions do (hooks added later, such as
audit entries or webhooks) happens for bulk updates too. What makes a batch of a thousand fast
is loading: the selected applications come in one query per thousand ids, and their jobs,
clients and stages in one query each, so the per-application ``session.get`` calls inside the
service functions hit the identity map instead of the database.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import select
from sqlmodel import Session

from portal.core.clock import local_date, now, today
from portal.models import Application, Client, Job, Recruiter, Stage
from portal.services import N_, InputError, Message
from portal.services.audit import Actor, record_by
from portal.services.desk import DeskFilter, _filtered, _ordered
from portal.services.promises import check_promise_date
from portal.services.updates import MAX_NOTE_LENGTH, post_no_news_update, post_update

# One batch at most: a preview names them all, and the confirm form carries their ids.
MAX_BULK = 5000
# Ids per IN (...) list: well inside SQLite's and PostgreSQL's parameter limits.
_CHUNK = 1000


class BulkAction(StrEnum):
    NO_NEWS = "no_news"
    STAGE = "stage"
    NOTE = "note"
    PROMISE = "promise"


@dataclass(frozen=True)
class BulkRequest:
    """What to post to every selected application."""

    action: str
    stage_key: str | None = None
    public_note: str | None = None
    internal_note: str | None = None
    promised_by: date | None = None

    def validate(self, *, day: date | None = None) -> None:
        """InputError for a request that cannot be posted to anyone."""
        if self.action not in set(BulkAction):
            raise InputError("action", N_("Choose what to send."))
        if self.action == BulkAction.STAGE and not self.stage_key:
            raise InputError("to_stage", N_("Choose the stage to move the applications to."))
        if self.action == BulkAction.NOTE and not (self.public_note or "").strip():
            raise InputError("public_note", N_("Write the note to the candidates."))
        if self.action == BulkAction.PROMISE and self.promised_by is None:
            raise InputError("promised_by", N_("Choose the date of the next update."))
        for name in ("public_note", "internal_note"):
            text = (getattr(self, name) or "").strip()
            if len(text) > MAX_NOTE_LENGTH:
                raise InputError(
                    name, N_("At most %(max)d characters (this one has %(count)d)."),
                    max=MAX_NOTE_LENGTH, count=len(text),
                )
        check_promise_date(self.promised_by, today=day or today())

    @property
    def emails_candidates(self) -> bool:
        """Whether the update tells the candidate something by email."""
        return self.action in (BulkAction.NO_NEWS, BulkAction.STAGE) or bool(
            (self.public_note or "").strip()
        )


@dataclass(frozen=True)
class Skipped:
    application: Application
    reason: Message  # English; a view shows it with ``error_text``


@dataclass
class BulkPlan:
    """Who gets the update, who does not and why; computed the same way for preview and send."""

    targets: list[Application] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    missing: int = 0  # ids that no longer exist (deleted between preview and confirm)
    related: list = field(default_factory=list, repr=False)  # see Selection.related

    @property
    def silent(self) -> list[Application]:
        """Targets who opted out of emails: updated, but sent nothing."""
        return [a for a in self.targets if a.unsubscribed_at is not None]


@dataclass
class BulkResult:
    updated: int
    emailed: int
    skipped: list[Skipped]
    missing: int = 0


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def ids_matching(
    *, session: Session, desk_filter: DeskFilter, limit: int = MAX_BULK + 1
) -> list[int]:
    """The ids of every application the desk filter shows, in the desk's order."""
    statement = select(Application.id, Application.promised_by, Application.last_update_at)
    statement = _filtered(statement.join(Stage, Stage.id == Application.stage_id), desk_filter)
    statement, _key = _ordered(statement, desk_filter.status, None)
    return [row[0] for row in session.execute(statement.limit(limit))]


@dataclass
class Selection:
    applications: list[Application]
    missing: int  # ids that matched no application (deleted since they were listed)
    # The jobs, clients and stages of the applications. The session's identity map holds
    # objects weakly, so this list keeps them there while the batch runs.
    related: list = field(default_factory=list, repr=False)


def load_selection(*, session: Session, ids: Sequence[int]) -> Selection:
    """The applications with these ids (in the given order) and how many ids matched none.

    Their jobs, clients and every stage of those jobs are loaded too (three queries), so the
    per-application service calls find them in the session without asking the database.
    """
    wanted = list(dict.fromkeys(ids))
    found: dict[int, Application] = {}
    for chunk in _chunks(wanted):
        for application in session.scalars(select(Application).where(Application.id.in_(chunk))):
            found[application.id] = application
    job_ids = sorted({a.job_id for a in found.values()})
    client_ids = sorted({a.client_id for a in found.values()})
    related: list = []
    for chunk in _chunks(job_ids):
        related += session.scalars(select(Job).where(Job.id.in_(chunk))).all()
        related += session.scalars(select(Stage).where(Stage.job_id.in_(chunk))).all()
    for chunk in _chunks(client_ids):
        related += session.scalars(select(Client).where(Client.id.in_(chunk))).all()
    applications = [found[i] for i in wanted if i in found]
    return Selection(applications, len(wanted) - len(applications), related)


def _stages_by_job(related: list) -> dict[int, dict[str, Stage]]:
    stages: dict[int, dict[str, Stage]] = {}
    for item in related:
        if isinstance(item, Stage):
            stages.setdefault(item.job_id, {})[item.key] = item
    return stages



def plan_bulk(*, session: Session, ids: Sequence[int], request: BulkRequest) -> BulkPlan:
    """Sort the selection into applications that get the update and ones that cannot.

    Closed applications get no "no news yet", no new promise and no stage change (reopening a
    decided application is a deliberate one-by-one act); an application already at the target
    stage, or whose job has no such stage, is skipped with that reason.
    """
    if len(ids) > MAX_BULK:
        raise InputError(
            "selection", N_("At most %(max)d applications at once; narrow the filter."),
            max=MAX_BULK,
        )
    selection = load_selection(session=session, ids=ids)
    plan = BulkPlan(missing=selection.missing, related=selection.related)
    stages = _stages_by_job(selection.related)
    current = {s.id: s for by_key in stages.values() for s in by_key.values()}
    for application in selection.applications:
        reason = None
        if not application.is_open and request.action != BulkAction.NOTE:
            reason = Message(N_("closed; reopen it on its own page first"))
        elif request.action == BulkAction.STAGE:
            target = stages.get(application.job_id, {}).get(request.stage_key)
            if target is None:
                reason = Message(N_("its job has no stage “%(stage)s”"), stage=request.stage_key)
            elif target.id == application.stage_id:
                stage = current.get(application.stage_id)
                reason = Message(N_("already at “%(stage)s”"),
                                 stage=stage.label_in("en") if stage else "")
        if reason:
            plan.skipped.append(Skipped(application, reason))
        else:
            plan.targets.append(application)
    return plan


def apply_bulk(
    *, session: Session, ids: Sequence[int], request: BulkRequest, author: Recruiter | None,
    actor: Actor | None = None, at: datetime | None = None,
) -> BulkResult:
    """Post the update to every eligible application, in the caller's transaction.

    Audited by ``actor``: each application's own update events, and one
    ``application.bulk_update`` naming the applications updated.

    Nothing is committed here: the caller commits once (all or nothing) or rolls back on any
    exception, so a failure half-way leaves no update and no email behind.
    """
    moment = at or now()
    request.validate(day=local_date(moment))
    plan = plan_bulk(session=session, ids=ids, request=request)
    emailed = 0
    for application in plan.targets:
        if request.action == BulkAction.NO_NEWS:
            post_no_news_update(
                session=session, application=application, author=author,
                promised_by=request.promised_by, at=moment, actor=actor,
            )
        else:
            post_update(
                session=session, application=application, author=author,
                stage_key=request.stage_key if request.action == BulkAction.STAGE else None,
                public_note=request.public_note, internal_note=request.internal_note,
                promised_by=request.promised_by, at=moment, actor=actor,
            )
        if request.emails_candidates and application.unsubscribed_at is None:
            emailed += 1
    skipped_ids = {s.application.id for s in plan.skipped}
    record_by(actor, session=session, action="application.bulk_update",
              detail={"action": request.action, "stage": request.stage_key,
                      "updated": len(plan.targets), "emailed": emailed,
                      "application_ids": [i for i in ids if i not in skipped_ids]})
    return BulkResult(
        updated=len(plan.targets), emailed=emailed, skipped=plan.skipped, missing=plan.missing
    )
