"""``portal db upgrade|downgrade|revision``: the schema's migrations from the shell."""

import click
from flask import current_app
from flask.cli import AppGroup

from portal.core.db import get_engine
from portal.core.migrate import downgrade_database, revision_database, upgrade_database

db_group = AppGroup("db", help="Apply or write the database migrations.")


@db_group.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Apply the migrations up to REVISION (default: head)."""
    upgrade_database(current_app, revision)
    click.echo(f"Database at {revision}: {get_engine().url.render_as_string(hide_password=True)}")


@db_group.command("downgrade")
@click.argument("revision")
def downgrade_command(revision: str) -> None:
    """Revert the migrations down to REVISION."""
    downgrade_database(current_app, revision)
    click.echo(f"Database at {revision}")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
def revision_command(message: str) -> None:
    """Autogenerate a migration from the models (for developers)."""
    revision_database(current_app, message)
