"""The ``portal`` command: the app's Flask CLI plus the portal's own commands."""

import functools
import sys
from datetime import date

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from portal.db import get_session
from portal.models import LANGUAGES, Job, Recruiter
from portal.services import InputError, NotFound
from portal.services.applications import create_application, get_application, revoke_link
from portal.services.audit import record
from portal.services.recruiters import create_recruiter
from portal.services.updates import post_no_news_update, post_update
from portal.tokens import status_url_for


def cli_errors(command):
    """Turn expected failures into one-line errors with a non-zero exit, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InputError as error:
            raise click.ClickException(f"{error.field}: {error.message}") from None
        except NotFound as error:
            raise click.ClickException(str(error)) from None
        except SQLAlchemyError as error:
            first_line = str(error).splitlines()[0][:200]
            raise click.ClickException(
                f"database error ({first_line}); has `portal db upgrade` been run?"
            ) from None

    return wrapper


MAX_ID = 2**63 - 1


def _name(param) -> str:
    return param.opts[0] if param.opts and param.opts[0].startswith("-") else param.name.upper()


def _parse_date(_ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.ClickException(
            f"{_name(param)}: {value!r} is not a date in the form YYYY-MM-DD"
        ) from None


def _parse_id(_ctx, param, value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or not 1 <= int(value) <= MAX_ID:
        raise click.ClickException(f"{_name(param)}: {value!r} is not an id (a positive number)")
    return int(value)


def _parse_language(_ctx, param, value: str | None) -> str | None:
    if value is not None and value not in LANGUAGES:
        raise click.ClickException(
            f"{_name(param)}: {value!r} is not one of {', '.join(LANGUAGES)}"
        )
    return value


@click.group("recruiters")
def recruiters_group() -> None:
    """Manage recruiter logins."""


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@recruiters_group.command("add")
@click.argument("email")
@click.option("--name", required=True, help="Full name; the first name signs notes.")
@click.option("--admin", is_flag=True, help="May manage recruiters, clients and jobs.")
@click.option("--language", default="en", show_default=True, callback=_parse_language,
              help="en or sv.")
@with_appcontext
@cli_errors
def add_recruiter(email: str, name: str, admin: bool, language: str) -> None:
    """Add a recruiter; the password comes from a prompt, or from stdin when piped."""
    session = get_session()
    recruiter = create_recruiter(
        session=session, email=email, name=name, password=_read_password(), admin=admin,
        language=language,
    )
    session.commit()
    click.echo(f"Recruiter {recruiter.id} added: {recruiter.email} ({recruiter.role})")


@click.group("applications")
def applications_group() -> None:
    """Manage applications."""


@applications_group.command("add")
@click.option("--job", "job_id", required=True, callback=_parse_id, help="The job's id.")
@click.option("--name", required=True)
@click.option("--email", required=True)
@click.option("--language", default=None, callback=_parse_language,
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
        stage_key=stage_key,
    )
    session.commit()
    click.echo(f"Application {application.id} created for {application.name}")
    click.echo(f"Next update promised by {application.promised_by}")
    click.echo(status_url_for(application.id, application.token_version))


@click.group("updates")
def updates_group() -> None:
    """Post updates on applications."""


@updates_group.command("add")
@click.argument("application_id", callback=_parse_id)
@click.option("--stage", "stage_key", default=None, help="Move to this stage key.")
@click.option("--note", default=None, help="A note to the candidate.")
@click.option("--internal", default=None, help="An internal note, never shown.")
@click.option("--promise", callback=_parse_date, default=None, metavar="YYYY-MM-DD",
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
            session=session, application=application, author=author, promised_by=promise
        )
    else:
        update = post_update(
            session=session, application=application, author=author, stage_key=stage_key,
            public_note=note, internal_note=internal, promised_by=promise,
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
@click.argument("application_id", callback=_parse_id)
@click.option("--revoke", is_flag=True, help="Revoke every earlier link and make a new one.")
@with_appcontext
@cli_errors
def link(application_id: int, revoke: bool) -> None:
    """Print the application's status URL (a new one with --revoke)."""
    session = get_session()
    application = get_application(session=session, application_id=application_id)
    if revoke:
        version = revoke_link(session=session, application=application)
        record(session=session, action="link.revoked", application_id=application.id,
               detail={"token_version": version, "by": "cli"})
        session.commit()
        click.echo("Earlier links revoked.")
    click.echo(status_url_for(application.id, application.token_version))


def init_app(app: Flask) -> None:
    """Register the portal's commands on the app's CLI."""
    from portal import cli_csv  # noqa: F401 (adds import and export to `applications`)
    from portal.cli_api import api_tokens_group
    from portal.cli_privacy import retention_group
    from portal.cli_promises import outbox_group, remind_command
    from portal.demo import demo_command
    from portal.seed import seed_command

    for command in (recruiters_group, applications_group, updates_group, link, demo_command,
                    outbox_group, remind_command, api_tokens_group, retention_group,
                    seed_command):
        app.cli.add_command(command)


def main() -> None:
    """Entry point of the ``portal`` console script."""
    from portal import create_app

    demo = len(sys.argv) > 1 and sys.argv[1] == "demo"
    cli = FlaskGroup(
        create_app=lambda: create_app(demo=demo),
        help="The candidate status portal. `portal demo` starts a seeded demo.",
    )
    cli.main(prog_name="portal")
