"""The idempotency ledger of Shopify writes, in the app's database (`tool_calls`).

A retried write with the same key replays the first result instead of acting again, across
restarts and across API processes sharing one database.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from inbox.models import ToolCall
from tools.results import ToolResult


class SqlIdempotencyStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, key: str) -> ToolResult | None:
        with Session(self.engine, expire_on_commit=False) as session:
            row = session.get(ToolCall, key)
            return ToolResult.from_dict(row.result) if row else None

    def put(self, key: str, result: ToolResult) -> None:
        with Session(self.engine, expire_on_commit=False) as session:
            session.add(
                ToolCall(
                    idempotency_key=key,
                    tool=result.tool,
                    status=result.status.value,
                    result=result.to_dict(),
                )
            )
            try:
                session.commit()
            except IntegrityError:  # another process recorded it first: theirs stands
                session.rollback()
