"""Newest-first pages by cursor over a table's `(created_at, id)`, as the list routes give them."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel import Session, col
from sqlmodel.sql.expression import SelectOfScalar

from api.errors import ApiError
from inbox.conversations import InvalidCursor, encode_key, older_than

Row = TypeVar("Row")


def newest_first(
    session: Session, query: SelectOfScalar[Row], model: Any, cursor: str | None, limit: int
) -> tuple[list[Row], str | None]:
    """One page of `query` (rows of `model`) after `cursor`, and the cursor of the next page
    (None on the last); a cursor this API did not hand out is a 400."""
    created, record_id = col(model.created_at), col(model.id)
    if cursor:
        try:
            query = query.where(older_than(cursor, created, record_id))
        except InvalidCursor as exc:
            raise ApiError(400, "invalid_cursor", str(exc)) from exc
    rows = list(session.exec(query.order_by(created.desc(), record_id.desc()).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_key(last.created_at, last.id)  # type: ignore[attr-defined]
