"""Fixtures: a fresh database per test (SQLite file or PostgreSQL), the app, client and runner.

``PORTAL_TEST_DATABASE=postgresql`` runs the suite on the local PostgreSQL server; the run
creates its own database and drops it at the end. The schema comes from the migrations.
"""

import contextlib
import contextvars
import os
import shutil
import uuid

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from portal import create_app
from portal.core.db import get_engine, get_session
from portal.core.migrate import upgrade_database

PG_SERVER = os.environ.get(
    "PORTAL_TEST_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432"
)
BACKEND = os.environ.get("PORTAL_TEST_DATABASE", "sqlite")

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "BASE_URL": "http://portal.test",
    "WTF_CSRF_ENABLED": False,
}


def pytest_report_header(config):
    return f"portal database backend: {BACKEND}"


@contextlib.contextmanager
def postgresql_database(prefix: str):
    """A PostgreSQL database of its own on the test server (its URL), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """Migrate a database once per run; each test then gets an empty copy of it."""
    if BACKEND == "postgresql":
        with postgresql_database("portal_test") as url:
            app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
            upgrade_database(app)
            get_engine(app).dispose()
            yield url
    else:
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        app = create_app({**TEST_CONFIG, "DATABASE_URL": f"sqlite:///{path}"})
        upgrade_database(app)
        get_engine(app).dispose()
        yield path


@pytest.fixture
def database_url(database_template, tmp_path):
    """A fresh, empty, migrated database for one test."""
    if BACKEND == "postgresql":
        yield database_template
        engine = create_engine(database_template)
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
    else:
        path = tmp_path / "portal.sqlite3"
        shutil.copyfile(database_template, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def app_config(database_url):
    """The configuration a test app is built with; tests may add to it."""
    return {**TEST_CONFIG, "DATABASE_URL": database_url}


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    yield app
    get_engine(app).dispose()


@pytest.fixture
def make_app(app_config):
    """Build more apps over the test's database, e.g. with CSRF on or other limits; each
    one's connection pool is closed when the test ends (an open pooled PostgreSQL connection
    left to the garbage collector is a ResourceWarning, which fails a later test)."""
    made = []

    def make(**overrides):
        made.append(create_app({**app_config, **overrides}))
        return made[-1]

    yield make
    for each in made:
        get_engine(each).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


class IsolatedCliRunner(FlaskCliRunner):
    """Runs each command in a fresh context, so it pushes its own app context (as in a shell)
    instead of borrowing the test's."""

    def invoke(self, *args, **kwargs):
        return contextvars.Context().run(super().invoke, *args, **kwargs)


@pytest.fixture
def runner(app):
    app.test_cli_runner_class = IsolatedCliRunner
    return app.test_cli_runner()


@pytest.fixture
def session(app_config):
    """A session for arranging and checking data, in the context of a twin app.

    The twin has the same configuration and database but its own app context, so requests
    made through ``client`` get their own context, ``g`` and session, as in production.
    """
    data_app = create_app(app_config)
    with data_app.app_context():
        yield get_session()
    get_engine(data_app).dispose()
