from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.main import create_app
from api.settings import DEMO_STORE_DIR, Settings
from inbox.db import make_engine, session_scope, upgrade
from inbox.keys import create_key
from inbox.models import OutboxMessage, Role
from tools.identity import CustomerIdentity

_ids = itertools.count(1)


@dataclass
class AgentApi:
    client: TestClient
    headers: dict[str, str]
    used: set[str] = field(default_factory=set)

    @property
    def runtime(self) -> Any:
        return self.client.app.state.store  # type: ignore[attr-defined]

    def send(
        self,
        channel: str,
        text: str,
        *,
        external_id: str | None = None,
        sent_at: str | None = None,
        thread_id: str | None = None,
        **customer: Any,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "channel": channel,
            "external_id": external_id or f"{channel}-{next(_ids)}",
            "customer": customer,
            "text": text,
        }
        if sent_at:
            body["sent_at"] = sent_at
        if thread_id:
            body["thread_id"] = thread_id
        response = self.client.post("/v1/messages", json=body, headers=self.headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def code_sent_to(self, recipient: str) -> str:
        """The latest one-time code the outbox holds for `recipient` (as a customer reads it)."""
        with Session(self.runtime.services.engine) as session:
            rows = session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.recipient == recipient.lower())
                .where(OutboxMessage.purpose == "verification_code")
                .order_by(col(OutboxMessage.created_at).desc())
            ).all()
        assert rows, f"no code was sent to {recipient}"
        match = re.search(r"\b(\d{6})\b", rows[0].body)
        assert match, rows[0].body
        return match.group(1)

    def order(
        self, name: str, email: str | None = None, phone: str | None = None
    ) -> dict[str, Any]:
        """The order as the shop has it now (real HTTP to the sandbox), read as its owner."""
        result = self.runtime.services.tools.get_order(CustomerIdentity.of(email, phone), name)
        assert result.ok, result
        return dict(result.data["order"])


def vouched(email: str | None) -> dict[str, Any]:
    """A logged-in shopper: the helpdesk vouches for the email (`customer.verified`), so the
    agent may act on their orders without a one-time code."""
    return {"email": email, "verified": ["email"]}


def make_agent_api(
    tmp: Path, store_dir: Path = DEMO_STORE_DIR, database_url: str | None = None, **extra: Any
) -> Iterator[AgentApi]:
    """The app for `store_dir` on a real database, with an admin key."""
    settings = Settings(
        data_dir=tmp,
        database_url=database_url or f"sqlite:///{tmp}/db.sqlite",
        store_dir=store_dir,
        **extra,
    )
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        key, _ = create_key(session, Role.admin, "scenarios")
    with TestClient(create_app(settings, engine)) as client:
        yield AgentApi(client, {"Authorization": f"Bearer {key}"})
    engine.dispose()


@pytest.fixture(scope="module")
def agent_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentApi]:
    """The app on the demo store with its sandbox shop, shared by a module's scenarios."""
    yield from make_agent_api(tmp_path_factory.mktemp("agent"))
