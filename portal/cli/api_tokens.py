"""``portal api-tokens ...``: API tokens from the shell (the token is the LAST line printed)."""

import click
from flask.cli import AppGroup

from portal.cli.common import cli_errors, parse_id
from portal.core.db import get_session
from portal.services.api_tokens import create_token, list_tokens, revoke_token
from portal.services.audit import Actor

api_tokens_group = AppGroup("api-tokens", help="Create, list and revoke API tokens.")


@api_tokens_group.command("create")
@click.argument("name")
@click.option("--scope", type=click.Choice(["read", "write"]), default="read",
              show_default=True, help="read: GET only; write: may also POST.")
@cli_errors
def create_command(name: str, scope: str) -> None:
    """Create a token named NAME; it is shown this once, as the last line."""
    session = get_session()
    new = create_token(session=session, name=name, scope=scope, actor=Actor.cli())
    session.commit()
    click.echo(f"API token {new.token.id} created: {new.token.name} ({new.token.scope}).")
    click.echo("Store it now; it cannot be shown again:")
    click.echo(new.secret)


@api_tokens_group.command("list")
@cli_errors
def list_command() -> None:
    """Every token: id, name, scope, prefix, last use, state."""
    tokens = list_tokens(session=get_session())
    if not tokens:
        click.echo("No API tokens.")
    for token in tokens:
        used = f"{token.last_used_at:%Y-%m-%d %H:%M} UTC" if token.last_used_at else "never"
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
        click.echo(
            f"{token.id}\t{token.name}\t{token.scope}\t{token.prefix}…\tlast used {used}\t{state}"
        )


@api_tokens_group.command("revoke")
@click.argument("token_id", callback=parse_id)
@cli_errors
def revoke_command(token_id: int) -> None:
    """Revoke token TOKEN_ID: requests with it fail from now on."""
    session = get_session()
    token = revoke_token(session=session, token_id=token_id, actor=Actor.cli())
    session.commit()
    click.echo(f"API token {token.id} ({token.name}) revoked.")
