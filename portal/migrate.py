"""Alembic driven from the app: ``portal db upgrade`` and friends."""

from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Blueprint, Flask, current_app

from portal.db import get_engine

MIGRATIONS = Path(__file__).parent / "migrations"

bp = Blueprint("db_cli", __name__, cli_group="db")


def _alembic_config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade_database(app: Flask, revision: str = "head") -> None:
    """Bring the app's database schema up to ``revision``."""
    with get_engine(app).begin() as connection:
        command.upgrade(_alembic_config(connection), revision)


def downgrade_database(app: Flask, revision: str) -> None:
    """Take the app's database schema down to ``revision`` ("base": no tables)."""
    with get_engine(app).begin() as connection:
        command.downgrade(_alembic_config(connection), revision)


@bp.cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Apply the migrations up to REVISION (default: head)."""
    upgrade_database(current_app, revision)
    click.echo(f"Database at {revision}: {get_engine().url.render_as_string(hide_password=True)}")


@bp.cli.command("downgrade")
@click.argument("revision")
def downgrade_command(revision: str) -> None:
    """Revert the migrations down to REVISION."""
    downgrade_database(current_app, revision)
    click.echo(f"Database at {revision}")


@bp.cli.command("revision")
@click.option("-m", "--message", required=True)
def revision_command(message: str) -> None:
    """Autogenerate a migration from the models (for developers)."""
    with get_engine().begin() as connection:
        command.revision(_alembic_config(connection), message=message, autogenerate=True)
