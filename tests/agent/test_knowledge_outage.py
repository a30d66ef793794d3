"""A missing or broken knowledge index: the service starts, says it is not ready, and hands
knowledge questions to a person instead of failing (issue 9)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.agent.conftest import make_agent_api


def _question(api: Any, handle: str) -> dict[str, Any]:
    return dict(api.send("chat", "how long do I have to return something?", handle=handle))


def test_an_unreadable_index_starts_not_ready_and_escalates_questions(tmp_path: Path) -> None:
    (tmp_path / "chroma").write_text("not an index")  # where the collection should be
    run = make_agent_api(tmp_path)
    api = next(run)
    ready = api.client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": "ok", "knowledge": "unavailable"}
    body = _question(api, "outage-1")
    assert body["outcome"] == "escalated"
    assert body["escalation"]["reason"]["code"] == "knowledge_unavailable"
    assert body["reply"]["text"]  # the customer still hears that a person will answer
    next(run, None)


def test_a_search_that_fails_mid_run_escalates_the_question(tmp_path: Path) -> None:
    run = make_agent_api(tmp_path)
    api = next(run)
    assert api.client.get("/readyz").status_code == 200

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("the collection's files are gone")

    knowledge = api.runtime.services.knowledge
    knowledge.search_many = broken
    knowledge.search = broken
    body = _question(api, "outage-2")
    assert body["outcome"] == "escalated"
    assert body["escalation"]["reason"]["code"] == "knowledge_unavailable"
    next(run, None)
