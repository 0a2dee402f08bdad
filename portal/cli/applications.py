"""``portal applications add``, ``portal updates add`` and ``portal link``."""

from datetime import date

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from portal.cli.common import cli_errors, parse_id, parse_language, parse_promise
from portal.core.db import get_session
from portal.core.tokens import status_url_for
from portal.models import Job, Recruiter
from portal.services.applications import create_application, get_application, revoke_link
from portal.services.audit import Actor
from portal.services.updates import post_no_news_update, post_update


@click.group("applications")
def applications_group() -> None:
    """Manage applications."""


@applications_group.command("add")
@click.option("--job", "job_id", required=True, callback=parse_id, help="The job's id.")
@click.option("--name", required=True)
@click.option("--email", required=True)
@click.option("--language", default=None, callback=parse_language,
              help="en or sv (default: the client's language).")
@click.option("--stage", "stage_key", default=None, help="Stage key (default: the first).")
@with_appcontext
@cli_errors
def add_application(
    job_id: int, name: str, email: str, language: str | None, stage_key: str | None
) -> None:
    """Add a candidate to a job; prints the id first and the status URL last."""
    session = get_session()
    application = create_application(
        session=session, job_id=job_id, name=name, email=email, language=language,
        stage_key=stage_key, actor=Actor.cli(),
    )
    session.commit()
    click.echo(f"Application {application.id} created for {application.name}")
    click.echo(f"Next update promised by {application.promised_by}")
    click.echo(status_url_for(application.id, application.token_version))


@click.group("updates")
def updates_group() -> None:
    """Post updates on applications."""


@updates_group.command("add")
@click.argument("application_id", callback=parse_id)
@click.option("--stage", "stage_key", default=None, help="Move to this stage key.")
@click.option("--note", default=None, help="A note to the candidate.")
@click.option("--internal", default=None, help="An internal note, never shown.")
@click.option("--promise", callback=parse_promise, default=None, metavar="YYYY-MM-DD",
              help="Next update promised by (default: the job's interval).")
@click.option("--no-news", is_flag=True, help='Send the "no news yet" note.')
@click.option("--author", "author_email", default=None, metavar="EMAIL",
              help="The recruiter who signs it (default: the job's owner).")
@with_appcontext
@cli_errors
def add_update(
    application_id: int, stage_key: str | None, note: str | None, internal: str | None,
    promise: date | None, no_news: bool, author_email: str | None,
) -> None:
    """Post an update (or "no news yet") on an application."""
    session = get_session()
    application = get_application(session=session, application_id=application_id)
    author = _author(session, application, author_email)
    if no_news:
        if stage_key or note or internal:
            raise click.UsageError("--no-news cannot be combined with --stage, --note, --internal")
        update = post_no_news_update(
            session=session, application=application, author=author, promised_by=promise,
            actor=Actor.cli(),
        )
    else:
        update = post_update(
            session=session, application=application, author=author, stage_key=stage_key,
            public_note=note, internal_note=internal, promised_by=promise, actor=Actor.cli(),
        )
    session.commit()
    promised = application.promised_by or "none (closed)"
    click.echo(f"Update {update.id} ({update.kind}) posted; next update promised by {promised}")


def _author(session, application, email: str | None) -> Recruiter | None:
    if email:
        recruiter = session.scalar(
            select(Recruiter).where(func.lower(Recruiter.email) == email.strip().lower())
        )
        if recruiter is None:
            raise click.ClickException(f"--author: no recruiter with email {email!r}")
        return recruiter
    job = session.get(Job, application.job_id)
    return session.get(Recruiter, job.owner_id) if job.owner_id else None


@click.command("link")
@click.argument("application_id", callback=parse_id)
@click.option("--revoke", is_flag=True, help="Revoke every earlier link and make a new one.")
@with_appcontext
@cli_errors
def link(application_id: int, revoke: bool) -> None:
    """Print the application's status URL (a new one with --revoke)."""
    session = get_session()
    application = get_application(session=session, application_id=application_id)
    if revoke:
        revoke_link(session=session, application=application, actor=Actor.cli())
        session.commit()
        click.echo("Earlier links revoked.")
    click.echo(status_url_for(application.id, application.token_version))
