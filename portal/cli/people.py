"""``portal recruiters ...``: recruiter logins from the shell."""

import sys

import click
from flask.cli import with_appcontext

from portal.cli.common import cli_errors, parse_language
from portal.core.db import get_session
from portal.services.audit import Actor
from portal.services.recruiters import create_recruiter


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
@click.option("--language", default="en", show_default=True, callback=parse_language,
              help="en or sv.")
@with_appcontext
@cli_errors
def add_recruiter(email: str, name: str, admin: bool, language: str) -> None:
    """Add a recruiter; the password comes from a prompt, or from stdin when piped."""
    session = get_session()
    recruiter = create_recruiter(
        session=session, email=email, name=name, password=_read_password(), admin=admin,
        language=language, actor=Actor.cli(),
    )
    session.commit()
    click.echo(f"Recruiter {recruiter.id} added: {recruiter.email} ({recruiter.role})")
