"""``portal retention run``: anonymise applications closed longer than the retention period."""

import click
from flask import current_app
from flask.cli import with_appcontext

from portal.api.idempotency import purge_expired
from portal.cli.common import cli_errors
from portal.core import clock
from portal.core.db import get_session
from portal.services.audit import Actor
from portal.services.privacy import RETENTION_BATCH, run_retention


@click.group("retention")
def retention_group() -> None:
    """Personal-data retention."""


@retention_group.command("run")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Retention period in days (default: PORTAL_RETENTION_DAYS, 730).")
@click.option("--dry-run", is_flag=True, help="Only count what would be anonymised.")
@click.option("--batch-size", type=click.IntRange(min=1, max=1_000_000), default=RETENTION_BATCH,
              show_default=True, help="Applications per transaction (an id range).")
@with_appcontext
@cli_errors
def run_command(days: int | None, dry_run: bool, batch_size: int) -> None:
    """Anonymise every application closed more than the retention period ago.

    Cron-able and idempotent: a second run finds nothing left to do. Prints one line.
    """
    session = get_session()
    days = days or current_app.config["RETENTION_DAYS"]
    # Stored API answers (which may name a candidate) are kept for a day only.
    purged = None if dry_run else purge_expired(session=session)
    result = run_retention(session=session, days=days, today=clock.today(), dry_run=dry_run,
                           batch_size=batch_size, actor=Actor.cli(),
                           audit_detail={"idempotency_records_removed": purged})
    if not dry_run:
        session.commit()
    click.echo(result.summary())
