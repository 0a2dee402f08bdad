"""A throwaway migrated database for a benchmark: SQLite in a temporary folder, or a scratch
database on a PostgreSQL server (created here and dropped afterwards)."""

import contextlib
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app  # noqa: E402
from portal.core.db import get_engine  # noqa: E402
from portal.core.migrate import upgrade_database  # noqa: E402


@contextlib.contextmanager
def scratch_app(server_url: str | None) -> Iterator:
    """A portal app on a fresh, migrated database."""
    with tempfile.TemporaryDirectory() as folder:
        drop = None
        if server_url:
            name = f"portal_bench_{uuid.uuid4().hex[:10]}"
            admin = create_engine(
                make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
            )
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            url = make_url(server_url).set(database=name).render_as_string(hide_password=False)

            def drop() -> None:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
        else:
            url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        app = create_app({
            "DATABASE_URL": url, "SECRET_KEY": "bench-secret-key",
            "BASE_URL": "http://portal.bench", "MAIL_FROM": "Bench <no-reply@portal.bench>",
        })
        try:
            upgrade_database(app)
            yield app
        finally:
            get_engine(app).dispose()
            if drop:
                drop()
