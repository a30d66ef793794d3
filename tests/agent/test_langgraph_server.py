"""`langgraph.json` run the way LangGraph's server (`langgraph dev`) runs it.

langgraph-api itself cannot be installed beside the pinned dependencies, so this does its steps:
read `langgraph.json`, import the graph's file under a module name of its own (as the server
imports a `path:attr` graph), call the factory with the run's config for every run, give the
graph the server's checkpointer (`copy(update=...)`), and stream the run with subgraphs, as
Studio asks for it. Real parts throughout: the demo store, its sandbox shop over HTTP, SQLite,
the knowledge index.
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.constants import CONFIG_KEY_CHECKPOINTER
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from inbox.db import make_engine
from inbox.models import Channel, Direction, Identity, Message, Trace
from tests.agent.demo import cancellable, owner_email, pick, shipments
from tools.identity import CustomerIdentity

ROOT = Path(__file__).resolve().parents[2]
_threads = itertools.count(1)


def import_graph(config_file: Path) -> tuple[ModuleType, Any]:
    """The module and the attribute the config's `threadline` graph names, imported like
    langgraph-api imports a file-path graph (`spec_from_file_location` under a derived name)."""
    spec_text = json.loads(config_file.read_text())["graphs"]["threadline"]
    path, attribute = spec_text.rsplit(":", 1)
    assert "/" in path, "a file-path graph, as `langgraph dev` resolves it from the config's dir"
    name = path.replace("/", "__").replace(".py", "").replace(" ", "_").lstrip(".")
    module_spec = importlib.util.spec_from_file_location(name, config_file.parent / path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    module_spec.loader.exec_module(module)
    return module, module.__dict__[attribute]


@dataclass
class Server:
    """What the LangGraph server holds: the factory, its checkpointer, and the loaded module."""

    module: ModuleType
    factory: Callable[..., Any]
    checkpointer: InMemorySaver
    engine: Engine
    """The database the graph's settings name, opened by the test to check what was stored."""

    async def graph(self, thread_id: str) -> Any:
        """The graph for one run: the factory called with the run's config (the server lends
        its checkpointer there too), then given the server's checkpointer and store."""
        config = {
            "configurable": {"thread_id": thread_id, CONFIG_KEY_CHECKPOINTER: self.checkpointer}
        }
        graph = self.factory(config)
        if asyncio.iscoroutine(graph):
            graph = await graph
        return graph.copy(update={"checkpointer": self.checkpointer, "store": None})

    def run(
        self, thread_id: str, payload: dict[str, Any] | None, **options: Any
    ) -> tuple[dict[str, Any], list[tuple[tuple[str, ...], str]]]:
        """One run as Studio starts it (values and updates, with subgraphs): the last values of
        the thread, and every step as (namespace, node)."""

        async def stream() -> tuple[dict[str, Any], list[tuple[tuple[str, ...], str]]]:
            graph = await self.graph(thread_id)
            values: dict[str, Any] = {}
            steps: list[tuple[tuple[str, ...], str]] = []
            async for namespace, mode, chunk in graph.astream(
                payload,
                {"configurable": {"thread_id": thread_id}},
                stream_mode=["values", "updates"],
                subgraphs=True,
                **options,
            ):
                if mode == "updates":
                    steps += [(tuple(n.split(":")[0] for n in namespace), node) for node in chunk]
                elif not namespace:
                    values = chunk
            return values, steps

        return asyncio.run(stream())

    def state(self, thread_id: str, namespace: str = "") -> dict[str, Any]:
        async def read() -> dict[str, Any]:
            graph = await self.graph(thread_id)
            config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": namespace}}
            return dict((await graph.aget_state(config)).values)

        return asyncio.run(read())

    @property
    def runtime(self) -> Any:
        return self.module.served.runtime

    def session(self) -> Session:
        return Session(self.engine)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("langgraph-server")
    module, factory = import_graph(ROOT / "langgraph.json")
    engine = make_engine(f"sqlite:///{data_dir / 'threadline.db'}")
    server = Server(module, factory, InMemorySaver(), engine)
    with pytest.MonkeyPatch.context() as env:  # what the settings read when the graph is built
        for name in [n for n in os.environ if n.startswith("THREADLINE_")]:
            env.delenv(name)
        env.setenv("THREADLINE_DATA_DIR", str(data_dir))  # the demo store, its sandbox, SQLite
        asyncio.run(server.graph("warm-up"))
    yield server
    module.served.close()
    engine.dispose()


def message(channel: str, text: str, **customer: Any) -> dict[str, Any]:
    return {"channel": channel, "text": text, "customer": customer}


def new_thread() -> str:
    return f"thread-{next(_threads)}"


RESOLUTION_STEPS = ["identify", "understand", "route", "retrieve", "compose", "format", "gate"]


def test_the_graph_describes_its_input_and_draws_the_resolution_graph(server: Server) -> None:
    graph = asyncio.run(server.graph("schemas"))
    schema = graph.get_input_jsonschema()
    assert schema["required"] == ["channel", "text"]
    channel = schema["$defs"]["Channel"]
    assert channel["enum"] == [c.value for c in Channel]
    customer = schema["$defs"]["SenderIn"]["properties"]
    assert {"email", "phone", "handle"} <= set(customer)
    assert "external_id" in schema["properties"]
    output = graph.get_output_jsonschema()["properties"]
    assert {"reply", "outcome", "response", "customer_id", "conversation_id"} <= set(output)
    assert graph.get_context_jsonschema() is None  # the run needs nothing beyond its input
    drawn = set(graph.get_graph(xray=True).nodes)
    assert {"receive", *(f"resolve:{step}" for step in RESOLUTION_STEPS)} <= drawn
    assert {"resolve:act", "resolve:escalate", "resolve:record"} <= drawn


def test_a_policy_question_is_answered_from_the_knowledge_step_by_step(server: Server) -> None:
    thread = new_thread()
    values, steps = server.run(
        thread, message("chat", "whats your return policy? how many days do i have", handle="lg-1")
    )
    assert values["outcome"] == "replied"
    assert "30" in values["reply"]
    sources = values["response"]["sources"]
    assert sources and sources[0]["id"].startswith("returns")
    # Studio sees every step of the turn, inside the `resolve` node, in order:
    assert steps[0] == ((), "receive")
    inner = [node for namespace, node in steps if namespace == ("resolve",)]
    assert inner == [*RESOLUTION_STEPS, "record"]
    assert steps[-1] == ((), "resolve")
    # The turn is the API's too: the message with its stored response, and its trace.
    with server.session() as session:
        inbound = session.exec(
            select(Message)
            .where(Message.customer_id == values["customer_id"])
            .where(Message.direction == Direction.inbound)
        ).one()
        assert inbound.meta["response"]["trace_id"] == values["response"]["trace_id"]
        assert session.get(Trace, values["response"]["trace_id"]) is not None


def test_an_order_lookup_by_email_answers_with_the_orders_status(server: Server) -> None:
    order = pick(lambda o: "in_transit" in shipments(o) and bool(owner_email(o)), set())
    tracking = [f["tracking_number"] for f in order["fulfillments"] if f.get("tracking_number")]
    values, _ = server.run(
        new_thread(),
        message("email", f"Where is my order {order['name']}?", email=owner_email(order)),
    )
    assert values["response"]["intent"]["name"] == "track_order"
    assert values["outcome"] == "held_for_review"  # the demo store reviews email replies first
    assert order["name"] in values["reply"]
    assert any(number in values["reply"] for number in tracking)


def test_a_second_turn_on_the_thread_continues_its_session(server: Server) -> None:
    order = pick(cancellable, set())
    email = owner_email(order)
    thread = new_thread()
    ask, _ = server.run(
        thread, message("email", f"Please cancel my order {order['name']}.", email=email)
    )
    assert "YES" in ask["reply"] and ask["response"]["actions"] == []
    session = server.state(thread, "resolve")  # the turn's own state, on the server's thread
    assert session["pending_action"]["tool"] == "cancel_order"
    assert any(
        c.config["configurable"]["checkpoint_ns"] == "resolve"
        for c in server.checkpointer.list({"configurable": {"thread_id": thread}})
    )
    # A bare yes means something only to the session that proposed the cancel:
    done, _ = server.run(thread, {"channel": "email", "text": "YES"})  # the sender stays
    actions = [(a["tool"], a["status"]) for a in done["response"]["actions"]]
    assert actions == [("cancel_order", "done")]
    assert done["customer_id"] == ask["customer_id"]
    shop = server.runtime.services.tools.get_order(CustomerIdentity.of(email, None), order["name"])
    assert shop.data["order"]["cancelled_at"] is not None
    assert server.state(thread, "resolve")["pending_action"] is None


def test_a_thread_refuses_another_customer(server: Server) -> None:
    thread = new_thread()
    server.run(thread, message("chat", "hi, do you ship to Canada?", handle="lg-owner"))
    with pytest.raises(ValueError, match="another customer"):
        server.run(thread, message("chat", "and to Mexico?", handle="lg-intruder"))
    with server.session() as session:  # nothing of the refused message was kept
        assert session.exec(select(Identity).where(Identity.value == "lg-intruder")).first() is None
        assert session.exec(select(Message).where(Message.text == "and to Mexico?")).first() is None


def test_a_breakpoint_before_the_turn_then_continue(server: Server) -> None:
    """Studio's breakpoint on `resolve`: the message is recorded, the turn waits; continuing
    runs it once, for that message."""
    thread = new_thread()
    payload = {
        **message("chat", "how long does shipping take?", handle="lg-step"),
        "external_id": "lg-step-1",
    }
    paused, steps = server.run(thread, payload, interrupt_before=["resolve"])
    assert steps == [((), "receive"), ((), "__interrupt__")] and "reply" not in paused
    with server.session() as session:
        inbound = session.exec(select(Message).where(Message.external_id == "lg-step-1")).one()
        assert "response" not in inbound.meta
    resumed, steps = server.run(thread, None)
    assert resumed["reply"] and steps[-1] == ((), "resolve")
    # The same message again is answered from what was stored, with no second turn:
    again, steps = server.run(thread, payload)
    assert again["response"] == resumed["response"]
    assert steps == [((), "receive")]
    with server.session() as session:
        rows = session.exec(select(Message).where(col(Message.external_id) == "lg-step-1")).all()
        assert len(rows) == 1
