"""The resolution graph as LangGraph's own server runs it (`langgraph dev`, LangGraph Studio).

The server hands a graph only the run's input and config, and keeps the session on its own thread
with its own checkpointer. So this graph does around a turn what the resolver does
(`agent.service`):

    receive → resolve (the resolution graph of `agent.graph`, as a subgraph)

`receive` records the inbound message first, under its sender's customer, and `resolve` runs the
turn with the store's services as its context, under the customer's lock, then stores the response
and the trace with the message, so the API's timeline, traces and redeliveries see Studio's turns.
The resolution graph's wiring stays in `agent/graph.py`; this module wires only the wrapper.

One server thread is one customer's session: the subgraph keeps its state on that thread
(`checkpointer=True`), and a thread refuses a sender who is another customer. Messages recorded
here carry no lease, so the recovery sweep never takes over a turn paused in Studio; a turn that
fails stays unanswered, with the error shown by the server.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal, NotRequired, Protocol

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from sqlmodel import Session
from typing_extensions import TypedDict

from agent.context import Context, Services
from agent.graph import build
from agent.locks import CustomerLocks
from agent.proof import sender_identity
from agent.response import MessageOut
from agent.service import (
    InboundRequest,
    MessageInFlight,
    inbound_state,
    record_inbound,
    store_turn,
    turn_response,
)
from inbox.conversations import as_utc, find_message
from inbox.identity import canonical_customer
from inbox.models import Channel, Message, utcnow

# Pydantic describes only `typing_extensions.TypedDict` on Python 3.11: these schemas are what
# Studio renders as the run's form and its output.


class SenderIn(TypedDict, total=False):
    """Who writes. The channel proves its own identifier (the email on email; the phone on SMS,
    WhatsApp and voice; the handle on chat, Instagram and Messenger); the rest are claims."""

    email: str
    phone: str
    handle: str
    name: str
    verified: list[Literal["email", "phone", "handle"]]
    """Identifiers a helpdesk authenticated (a logged-in shopper)."""


class ServerInput(TypedDict):
    """One inbound message, as `POST /v1/messages` takes it."""

    channel: Channel
    text: str
    customer: NotRequired[SenderIn]
    """Kept on the thread: later runs may leave it out."""
    external_id: NotRequired[str | None]
    """The message's id on its channel; default: a new one. A known id gets its stored answer."""
    subject: NotRequired[str | None]


class ServerOutput(TypedDict, total=False):
    """The turn's answer (`response` is the body `POST /v1/messages` returns)."""

    customer_id: str
    conversation_id: str
    outcome: str
    reply: str | None
    response: dict[str, Any]


class ServerState(ServerInput, ServerOutput, total=False):
    message: dict[str, Any] | None
    """The recorded inbound message this run answers (`agent.state.InboundMessage`); None when
    the message was answered before."""


class ServerNode(Protocol):
    def __call__(self, state: ServerState) -> dict[str, Any]: ...


class ThreadOfAnotherCustomer(ValueError):
    """A server thread is one customer's session; another sender needs a new thread."""


def answered(response: MessageOut) -> dict[str, Any]:
    """The run's output for a response."""
    body = response.model_dump(mode="json")
    return {
        "customer_id": response.customer_id,
        "conversation_id": response.conversation_id,
        "outcome": body["outcome"],
        "reply": response.reply.text if response.reply else None,
        "response": body,
    }


def inbound_request(state: ServerState) -> InboundRequest:
    sender = state.get("customer") or {}
    return InboundRequest(
        channel=Channel(state["channel"]).value,
        external_id=state.get("external_id") or f"langgraph-{uuid.uuid4().hex}",
        text=state["text"],
        email=sender.get("email"),
        phone=sender.get("phone"),
        handle=sender.get("handle"),
        name=sender.get("name"),
        subject=state.get("subject"),
        verified=tuple(sender.get("verified") or ()),
    )


def server_nodes(
    services: Services, locks: CustomerLocks, turns: CompiledStateGraph[Any, Any, Any, Any]
) -> tuple[ServerNode, ServerNode]:
    """The `receive` and `resolve` nodes over one store's services; `turns` is the compiled
    resolution graph (found by LangGraph as `resolve`'s subgraph, so Studio draws it)."""

    def receive(state: ServerState) -> dict[str, Any]:
        request = inbound_request(state)
        sender = sender_identity(request.sender, services.phone_region)
        # Input keys stay on the thread: a later run must not answer this id or subject again.
        reset = {"external_id": None, "subject": None}
        with Session(services.engine, expire_on_commit=False) as session:
            inbound = find_message(session, request.channel, request.external_id)
            if inbound is None:
                inbound = record_inbound(session, request, sender, services.events)
            elif inbound.lease_until is not None and as_utc(inbound.lease_until) > utcnow():
                raise MessageInFlight(f"{request.channel}/{request.external_id} is being handled")
            owner = canonical_customer(session, inbound.customer_id)
            customer_id = owner.id if owner else inbound.customer_id
            thread_owner = state.get("customer_id")
            if thread_owner:
                previous = canonical_customer(session, thread_owner)
                if (previous.id if previous else thread_owner) != customer_id:
                    session.rollback()
                    raise ThreadOfAnotherCustomer(
                        "this thread is another customer's session; start a new thread"
                    )
            session.commit()
        stored = inbound.meta.get("response")
        if stored:
            return {**reset, **answered(MessageOut.model_validate(stored)), "message": None}
        return {**reset, "customer_id": customer_id, "message": dict(inbound_state(inbound))}

    def resolve(state: ServerState) -> dict[str, Any]:
        message = state["message"]
        assert message is not None
        customer_id = state["customer_id"]
        context = Context(services)
        with locks.hold(f"customer:{customer_id}"):
            with Session(services.engine, expire_on_commit=False) as session:
                inbound = session.get(Message, message["id"])
            assert inbound is not None
            if inbound.meta.get("response"):  # answered while this run waited for the lock
                return answered(MessageOut.model_validate(inbound.meta["response"]))
            # Invoked inside this node, the turn runs as the server run's subgraph: on its
            # thread and checkpointer, streamed step by step to Studio.
            final = turns.invoke({"customer_id": customer_id, "message": message}, context=context)
            survivor = (final.get("identity") or {}).get("customer_id") or customer_id
            response = turn_response(services.engine, final, inbound, survivor)
            store_turn(services.engine, inbound.id, response, context.trace)
        return answered(response)

    return receive, resolve


def next_after_receive(state: ServerState) -> str:
    return "resolve" if state.get("message") else END


def build_server(
    services: Services, locks: CustomerLocks
) -> StateGraph[ServerState, None, ServerInput, ServerOutput]:
    """receive → resolve, over one store's services (`locks`: the process's customer locks)."""
    receive, resolve = server_nodes(services, locks, build().compile(checkpointer=True))
    graph = StateGraph(ServerState, input_schema=ServerInput, output_schema=ServerOutput)
    graph.add_node("receive", receive)
    graph.add_node("resolve", resolve)
    graph.add_edge(START, "receive")
    graph.add_conditional_edges("receive", next_after_receive, {"resolve": "resolve", END: END})
    graph.add_edge("resolve", END)
    return graph
