"""The inbox as the agent's nodes reach it: a few verbs over the database, one session each.

Nodes never open database sessions for these themselves; they call this facade (through the
`Inbox` protocol in the agent's context), so a node can be tested with an in-memory stand-in.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from inbox.conversations import move_message, record_message
from inbox.models import Author, Conversation, Direction


class SqlInbox:
    """The inbox on the service's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def move_message(self, message_id: str, conversation_id: str | None) -> str:
        """Move a message to another conversation of its customer (None: a new one); its id."""
        with Session(self.engine, expire_on_commit=False) as session:
            target = move_message(session, message_id, conversation_id)
            session.commit()
            return target.id

    def note(self, conversation_id: str, channel: str, text: str, meta: dict[str, Any]) -> str:
        """Add an internal note (seen by people, never sent) to a conversation; its id."""
        with Session(self.engine, expire_on_commit=False) as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None:
                raise ValueError(f"no conversation {conversation_id}")
            note = record_message(
                session,
                conversation,
                direction=Direction.internal,
                channel=channel,
                author=Author.system,
                text=text,
                meta=meta,
            )
            session.commit()
            return note.id
