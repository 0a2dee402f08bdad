"""``portal outbox ...`` and ``portal remind``: delivering email and keeping promises from cron."""

import time

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from portal.core.clock import today
from portal.core.db import get_engine, get_session
from portal.models import MessageStatus, OutboxMessage
from portal.services.reminders import emit_lapsed_promises, send_auto_notices, send_digests
from portal.worker.outbox import run_worker

outbox_group = AppGroup("outbox", help="Deliver the queued emails and webhooks.")


@outbox_group.command("run")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit (for cron).")
def outbox_run(once: bool) -> None:
    """Deliver queued emails (SMTP or .eml files) and webhooks, with retries."""
    app = current_app._get_current_object()
    started = time.perf_counter()
    if not once:
        click.echo("Delivering queued emails; Ctrl+C to stop.")
    try:
        report = run_worker(app, once=once)
    except KeyboardInterrupt:
        click.echo("Stopped.")
        return
    elapsed = time.perf_counter() - started
    rate = report.sent / elapsed if elapsed > 0 else 0.0
    click.echo(
        f"Sent {report.sent}, will retry {report.retrying}, failed {report.failed} "
        f"in {elapsed:.2f} s ({rate:.0f} messages/s)"
    )
    if report.webhooks_delivered or report.webhooks_retrying or report.webhooks_failed:
        click.echo(
            f"Webhooks delivered {report.webhooks_delivered}, will retry "
            f"{report.webhooks_retrying}, failed {report.webhooks_failed}"
        )
    for error in report.errors[:10]:
        click.echo(f"  error: {error}", err=True)


@outbox_group.command("status")
def outbox_status() -> None:
    """How many emails are queued, sent and failed."""
    rows = get_session().execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    counts = dict.fromkeys(MessageStatus, 0) | {status: count for status, count in rows}
    click.echo(", ".join(f"{status}: {count}" for status, count in counts.items()))


@click.command("remind")
@with_appcontext
def remind_command() -> None:
    """Queue each recruiter's daily digest (at most one a day), due automatic notices and
    ``promise.lapsed`` webhook events."""
    app = current_app._get_current_object()
    started = time.perf_counter()
    day = today()
    report = send_digests(engine=get_engine(app), today=day, base_url=app.config["BASE_URL"])
    notices = send_auto_notices(engine=get_engine(app), today=day)
    lapsed = emit_lapsed_promises(engine=get_engine(app), today=day)
    elapsed = time.perf_counter() - started
    click.echo(
        f"Digests queued: {report.digests} ({report.overdue} overdue, {report.due_soon} due "
        f"soon); already sent today: {report.already_sent}; automatic notices: {notices}; "
        f"promise.lapsed webhook events: {lapsed}; {elapsed:.2f} s"
    )
    for address in report.recipients:
        click.echo(f"  digest for {address}")
