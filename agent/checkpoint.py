"""LangGraph checkpointers: SQLite beside the default database, PostgreSQL when the app uses it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from sqlalchemy.engine import make_url


def make_checkpointer(
    database_url: str, data_dir: Path, *, max_connections: int = 10
) -> tuple[BaseCheckpointSaver[Any], Any]:
    """A checkpointer for the app's database kind, and the resource to close on shutdown.

    On PostgreSQL it has its own pool: `max_connections` (one per concurrently running turn,
    plus a little headroom).
    """
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        pool = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=max_connections,
            open=True,
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        )
        saver = PostgresSaver(pool)  # type: ignore[arg-type]
        saver.setup()
        return saver, pool
    data_dir.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(data_dir / "checkpoints.sqlite", check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    saver_sqlite = SqliteSaver(connection)
    saver_sqlite.setup()
    return saver_sqlite, connection
