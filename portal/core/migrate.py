"""Alembic driven from the app (the ``portal db`` commands are in ``portal.cli.db``)."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask

from portal.core.db import get_engine

MIGRATIONS = Path(__file__).parent.parent / "migrations"


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




def revision_database(app: Flask, message: str) -> None:
    """Autogenerate a migration from the models (for developers)."""
    with get_engine(app).begin() as connection:
        command.revision(_alembic_config(connection), message=message, autogenerate=True)
