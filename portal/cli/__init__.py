"""The ``portal`` command: the app's Flask CLI plus the portal's own command groups.

Each group lives in a module of its own and is registered here, in one place
(``register_commands``); no module adds commands to another as a side effect of being imported.
"""

import sys

from flask import Flask
from flask.cli import FlaskGroup

from portal.cli.api_tokens import api_tokens_group
from portal.cli.applications import applications_group, link, updates_group
from portal.cli.db import db_group
from portal.cli.demo import demo_command
from portal.cli.people import recruiters_group
from portal.cli.promises import outbox_group, remind_command
from portal.cli.retention import retention_group
from portal.cli.seed import seed_command
from portal.cli.spreadsheets import export_applications, import_applications

applications_group.add_command(import_applications)
applications_group.add_command(export_applications)

COMMANDS = (
    db_group, recruiters_group, applications_group, updates_group, link, demo_command,
    outbox_group, remind_command, api_tokens_group, retention_group, seed_command,
)


def init_app(app: Flask) -> None:
    """Register the portal's commands on the app's CLI."""
    for command in COMMANDS:
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
