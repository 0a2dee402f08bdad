"""The migrations build exactly the schema the models describe, and go down and up again."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from portal import create_app
from portal.core.db import get_engine
from portal.core.migrate import downgrade_database, upgrade_database
from tests.helpers import BACKEND, TEST_CONFIG, postgresql_database


@pytest.fixture
def empty_database_url(tmp_path):
    """A database of its own with no tables (the shared test database stays at head)."""
    if BACKEND == "postgresql":
        with postgresql_database("portal_mig") as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"


def differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return compare_metadata(context, SQLModel.metadata)


def test_migrations_match_the_models_and_go_down_and_up(empty_database_url):
    app = create_app({**TEST_CONFIG, "DATABASE_URL": empty_database_url})
    engine = get_engine(app)
    try:
        upgrade_database(app)
        assert differences(engine) == []
        downgrade_database(app, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade_database(app)
        assert differences(engine) == []
    finally:
        engine.dispose()
