"""Migrations produce exactly the models' schema, and go down and up again, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import inbox.models  # noqa: F401
from inbox.db import current_revision, downgrade, make_engine, upgrade

TABLES = {
    "customers",
    "identities",
    "conversations",
    "messages",
    "events",
    "api_keys",
    "tool_calls",
}


def test_upgrade_matches_the_models_then_downgrades_cleanly(database_url: str) -> None:
    engine = make_engine(database_url)
    assert current_revision(engine) is None
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
    head = current_revision(engine)
    assert head is not None

    downgrade(engine, "base")
    assert not TABLES & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert current_revision(engine) == head
    engine.dispose()
