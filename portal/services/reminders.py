"""Keeping the promise actively: daily reminder digests and optional automatic notices.

Both are safe to run from cron as often as one likes: the digest log allows one digest per
recruiter per day (a unique key, so even two concurrent runs send one), and an automatic
notice moves the promise, so the same lapse never triggers two notices. Applications are
streamed in chunks, so memory stays flat however many there are.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import groupby

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from portal.core.business_days import business_days_between, next_business_day
from portal.core.clock import now
from portal.mail.recruiter import DigestItem, queue_digest
from portal.models import (
    Application,
    Client,
    DigestLog,
    Job,
    Recruiter,
    WebhookDelivery,
    WebhookEndpoint,
)
from portal.services.updates import post_auto_notice
from portal.services.webhooks import application_data, new_message_id

DIGEST_LIST_LIMIT = 100
STREAM_CHUNK = 2000
# Weekends and holidays can put the next business day up to this far away.
DUE_HORIZON_DAYS = 6


@dataclass
class RemindReport:
    digests: int = 0
    already_sent: int = 0
    overdue: int = 0
    due_soon: int = 0
    notices: int = 0
    recipients: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    owner_id: int
    application_id: int
    name: str
    job_title: str
    client_name: str
    country: str
    promised_by: date


def _due_rows(engine: Engine, today: date) -> Iterator[_Row]:
    statement = (
        select(
            Job.owner_id, Application.id, Application.name, Job.title, Client.name,
            Client.country, Application.promised_by,
        )
        .join(Job, Job.id == Application.job_id)
        .join(Client, Client.id == Application.client_id)
        # Only active owners get digests (an inactive one is not "already sent today").
        .join(Recruiter, Recruiter.id == Job.owner_id)
        .where(
            Application.is_open.is_(True),
            Application.promised_by <= today + timedelta(days=DUE_HORIZON_DAYS),
            Recruiter.is_active.is_(True),
        )
        .order_by(Job.owner_id, Application.promised_by, Application.id)
        .execution_options(yield_per=STREAM_CHUNK)
    )
    with engine.connect() as connection:
        for row in connection.execute(statement):
            yield _Row(*row)


def send_digests(*, engine: Engine, today: date, base_url: str) -> RemindReport:
    """Queue each recruiter's digest of lapsed and soon-due promises, once per day."""
    report = RemindReport()
    with Session(engine, expire_on_commit=False) as session:
        for owner_id, rows in groupby(_due_rows(engine, today), key=lambda row: row.owner_id):
            overdue, due, overdue_total, due_total = [], [], 0, 0
            for row in rows:
                if row.promised_by < today:
                    overdue_total += 1
                    if len(overdue) < DIGEST_LIST_LIMIT:
                        overdue.append(_item(row, today, base_url))
                elif row.promised_by <= next_business_day(today, row.country):
                    due_total += 1
                    if len(due) < DIGEST_LIST_LIMIT:
                        due.append(_item(row, today, base_url))
            if not (overdue_total or due_total):
                continue
            if _queue_once(session, owner_id, today, overdue, due, overdue_total, due_total):
                report.digests += 1
                report.overdue += overdue_total
                report.due_soon += due_total
                report.recipients.append(session.get(Recruiter, owner_id).email)
            else:
                report.already_sent += 1
    return report


def _item(row: _Row, today: date, base_url: str) -> DigestItem:
    return DigestItem(
        application_id=row.application_id, name=row.name, job_title=row.job_title,
        client_name=row.client_name, promised_by=row.promised_by,
        days_overdue=max(0, (today - row.promised_by).days),
        url=f"{base_url}/admin/applications/{row.application_id}",
    )


def _queue_once(session, owner_id, today, overdue, due, overdue_total, due_total) -> bool:
    """Write the digest, its log row and the "reminded" marks, or nothing if sent today."""
    if session.scalar(
        select(DigestLog.id).where(DigestLog.recruiter_id == owner_id, DigestLog.day == today)
    ):
        return False
    recruiter = session.get(Recruiter, owner_id)
    if recruiter is None or not recruiter.is_active:
        return False
    try:
        log = DigestLog(recruiter_id=owner_id, day=today, overdue_count=overdue_total,
                        due_count=due_total)
        session.add(log)
        session.flush()  # the unique (recruiter, day) key stops a concurrent run here
        message = queue_digest(session=session, recruiter=recruiter, overdue=overdue, due=due,
                               overdue_total=overdue_total, due_total=due_total)
        log.outbox_message_id = message.id
        owned_jobs = select(Job.id).where(Job.owner_id == owner_id)
        session.execute(
            update(Application)
            .where(
                Application.job_id.in_(owned_jobs), Application.is_open.is_(True),
                Application.promised_by < today, Application.reminded_at.is_(None),
            )
            .values(reminded_at=now())
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def send_auto_notices(*, engine: Engine, today: date) -> int:
    """Post the honest automatic "no news yet" notice where a job asks for it and it is due."""
    sent = 0
    with Session(engine, expire_on_commit=False) as session:
        jobs = session.execute(
            select(Job, Client).join(Client, Client.id == Job.client_id)
            .where(Job.auto_notice_days.is_not(None))
        ).all()
        for job, client in jobs:
            # Cheap bound first: N business days are at least N calendar days.
            latest_due = today - timedelta(days=job.auto_notice_days)
            last_id = 0
            while True:
                chunk = session.scalars(
                    select(Application)
                    .where(
                        Application.job_id == job.id, Application.is_open.is_(True),
                        Application.promised_by <= latest_due, Application.id > last_id,
                    )
                    .order_by(Application.id)
                    .limit(200)
                ).all()
                if not chunk:
                    break
                last_id = chunk[-1].id
                for application in chunk:
                    lapsed_days = business_days_between(
                        application.promised_by, today, client.country
                    )
                    if lapsed_days >= job.auto_notice_days:
                        post_auto_notice(session=session, application=application)
                        sent += 1
                session.commit()
    return sent


def emit_lapsed_promises(*, engine: Engine, today: date) -> int:
    """Queue a ``promise.lapsed`` webhook event for every open application whose promised
    date has passed, once per promise and endpoint (a unique key makes repeated and concurrent
    runs safe). Endpoints hear of promises that lapsed after they were registered."""
    queued = 0
    with Session(engine, expire_on_commit=False) as session:
        endpoints = [
            endpoint
            for endpoint in session.scalars(
                select(WebhookEndpoint).where(WebhookEndpoint.is_active.is_(True))
            )
            if "promise.lapsed" in (endpoint.events or ())
        ]
        if not endpoints:
            return 0
        earliest = min(endpoint.created_at.date() for endpoint in endpoints)
        last_id = 0
        while True:
            chunk = session.scalars(
                select(Application)
                .where(
                    Application.is_open.is_(True), Application.promised_by < today,
                    Application.promised_by >= earliest, Application.id > last_id,
                )
                .order_by(Application.id)
                .limit(200)
            ).all()
            if not chunk:
                break
            last_id = chunk[-1].id
            keys = {a.id: f"promise.lapsed:{a.id}:{a.promised_by.isoformat()}" for a in chunk}
            done = set(
                session.execute(
                    select(WebhookDelivery.endpoint_id, WebhookDelivery.event_key).where(
                        WebhookDelivery.event_key.in_(list(keys.values()))
                    )
                ).all()
            )
            for application in chunk:
                key = keys[application.id]
                for endpoint in endpoints:
                    if (endpoint.id, key) in done:
                        continue
                    if application.promised_by < endpoint.created_at.date():
                        continue
                    if _queue_lapse(session, endpoint, application, key, today):
                        queued += 1
            session.commit()
    return queued


def _queue_lapse(session, endpoint, application, key, today) -> bool:
    data = {
        "application": application_data(session, application),
        "promised_by": application.promised_by.isoformat(),
        "days_overdue": (today - application.promised_by).days,
    }
    moment = now()
    body = json.dumps(
        {"type": "promise.lapsed", "timestamp": moment.isoformat(), "data": data},
        separators=(",", ":"), ensure_ascii=False,
    )
    try:
        with session.begin_nested():  # a concurrent run that got there first: skip
            session.add(
                WebhookDelivery(
                    endpoint_id=endpoint.id, event_type="promise.lapsed",
                    message_id=new_message_id(), event_key=key,
                    application_id=application.id, payload=body, created_at=moment,
                    next_attempt_at=moment,
                )
            )
    except IntegrityError:
        return False
    return True
