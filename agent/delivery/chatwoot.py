"""Chatwoot's Application API as an outbox adapter: Threadline answering as a Chatwoot Agent Bot.

Every row names the Chatwoot conversation in its `meta` (`account_id`, `conversation_id`, copied
from the customer's message when it came in). A reply is a public outgoing message; a handoff
(`purpose="handoff"`) is either the escalation packet's summary as a private note for the team
(`meta["action"] == "note"`) or the conversation toggled to `open`, Chatwoot's bot handoff
(`"open"`). Calls carry the bot's access token in the `api_access_token` header.
"""

from __future__ import annotations

from typing import Any

import httpx

from agent.delivery.adapters import Sent, Window, outcome, unreachable
from inbox.models import OutboxMessage

HANDOFF = "handoff"
NOTE = "note"
OPEN = "open"


class ChatwootAdapter:
    """`POST {url}/api/v1/accounts/{account}/conversations/{id}/messages` for replies and notes,
    `POST …/conversations/{id}/toggle_status` for the handoff."""

    provider = "chatwoot"

    def __init__(self, client: httpx.Client, url: str, token: str) -> None:
        self.client, self.url, self.token = client, url.rstrip("/"), token

    def send(self, row: OutboxMessage, window: Window) -> Sent:
        account, conversation = row.meta.get("account_id"), row.meta.get("conversation_id")
        if account is None or conversation is None:
            return Sent(ok=False, error="no Chatwoot account or conversation on the row")
        base = f"{self.url}/api/v1/accounts/{account}/conversations/{conversation}"
        action = row.meta.get("action") if row.purpose == HANDOFF else None
        body: dict[str, Any]
        if row.purpose != HANDOFF or action == NOTE:
            path = "messages"
            body = {"content": row.body, "message_type": "outgoing", "private": action == NOTE}
        elif action == OPEN:
            path, body = "toggle_status", {"status": "open"}
        else:
            return Sent(ok=False, error=f"unknown Chatwoot handoff action {action!r}")
        try:
            response = self.client.post(
                f"{base}/{path}", json=body, headers={"api_access_token": self.token}
            )
        except httpx.HTTPError as exc:
            return unreachable(exc)
        return outcome(response, _message_id(response) if path == "messages" else None)


def _message_id(response: httpx.Response) -> str | None:
    """The id Chatwoot gave the message it created (None when the answer has none)."""
    try:
        value = response.json().get("id")
    except (ValueError, AttributeError):
        return None
    return str(value) if value is not None else None
