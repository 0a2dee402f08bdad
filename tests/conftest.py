"""Fixtures: a fresh database per test (SQLite file or PostgreSQL), the app, client and runner.

``PORTAL_TEST_DATABASE=postgresql`` runs the suite on the local PostgreSQL server; the run
creates its own database and drops it at the end. The schema comes from the migrations.
"""

import shutil

import pytest
import time_machine
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from portal import create_app
from portal.core.db import get_engine, get_session
from portal.core.migrate import upgrade_database
from tests.factories import make_client, make_job, make_recruiter
from tests.helpers import (
    BACKEND,
    NOW,
    TEST_CONFIG,
    IsolatedCliRunner,
    SmtpServer,
    free_port,
    postgresql_database,
)


def pytest_report_header(config):
    return f"portal database backend: {BACKEND}"


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


@pytest.fixture
def db(session):
    """The test's own session, by the name the service-level tests use."""
    return session


@pytest.fixture
def clock():
    """The frozen clock at NOW; tests move it with ``clock.move_to`` or ``clock.shift``."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free local port (see helpers.SmtpServer)."""
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def people(session, clock):
    """A recruiter, a client and a job, as a candidate would meet them."""
    recruiter = make_recruiter(session, name="Rita Berg", email="rita.berg@agency.example")
    company = make_client(session, name="Nordljus AB", slug="nordljus")
    job = make_job(session, client=company, owner=recruiter, title="Data Engineer")
    return recruiter, company, job
