"""The resolution service: one inbound message in, one response out (DESIGN.md §3.3).

Order of work: validate and resolve the sender, dedupe on `(channel, external_id)`, record the
message, run the customer's graph thread under a per-customer lock, store the response with the
message (so a redelivery gets the same body and no second action), store the trace.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlmodel import Session

from agent.context import Context, Services
from agent.graph import builder
from agent.locks import CustomerLocks
from agent.proof import Sender, sender_identity
from agent.response import MessageOut
from agent.state import AgentInput, InboundMessage
from inbox.conversations import (
    DuplicateMessage,
    current_conversation,
    find_message,
    message_view,
    record_message,
)
from inbox.identity import resolve_customer
from inbox.models import Author, Direction, Escalation, Message, Trace, new_id

logger = logging.getLogger("threadline.agent")

SESSION_FIELDS = (
    "active_order",
    "open_issue",
    "pending_action",
    "low_confidence_streak",
    "unresolved_turns",
    "orders_seen",
    "shop_checked",
    "escalation_matter",
)


def asks_handled(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Every ask of the message and what became of it, for the response."""
    understanding = state.get("understanding") or {}
    answered = {
        str(a.get("question")): bool(a.get("answerable")) for a in state.get("answers") or []
    }
    escalated = state.get("outcome") == "escalated"
    handled = []
    for ask in understanding.get("asks") or []:
        if escalated:
            how = "escalated"
        elif ask["text"] in answered:
            how = "answered" if answered[ask["text"]] else "unanswered"
        elif ask.get("act") in ("small_talk", "yes_no"):
            how = "noted"
        elif state.get("route") == "act":
            how = "asked" if state.get("ask") else "acted"
        elif state.get("route") == "retrieve":
            how = "answered" if state.get("answerable") else "unanswered"
        else:
            how = "asked" if state.get("route") == "ask" else "noted"
        handled.append(
            {"text": ask["text"], "act": ask["act"], "intent": ask["intent"], "handled": how}
        )
    return handled


class MessageInFlight(RuntimeError):
    """Another process is still handling this `(channel, external_id)`; ask again shortly."""


@dataclass(frozen=True)
class InboundRequest:
    channel: str
    external_id: str
    text: str
    email: str | None = None
    phone: str | None = None
    handle: str | None = None
    name: str | None = None
    thread_id: str | None = None
    subject: str | None = None
    sent_at: datetime | None = None
    verified: tuple[str, ...] = ()
    """Identifiers the calling helpdesk authenticated (`email`, `phone`, `handle`)."""

    @property
    def sender(self) -> Sender:
        return Sender(
            channel=self.channel,
            email=self.email,
            phone=self.phone,
            handle=self.handle,
            thread_id=self.thread_id,
            verified=self.verified,
        )


@dataclass(frozen=True)
class Resolution:
    response: MessageOut
    duplicate: bool

    @property
    def body(self) -> dict[str, Any]:
        """The response as JSON-ready data."""
        return self.response.model_dump(mode="json")


def inbound_state(inbound: Message, claimed: dict[str, str]) -> InboundMessage:
    """The recorded inbound message as the graph's state holds it."""
    view = message_view(inbound)
    return {
        "id": view["id"],
        "conversation_id": inbound.conversation_id,
        "channel": view["channel"],
        "text": view["text"],
        "subject": view["subject"],
        "sent_at": view["sent_at"],
        "claimed_email": claimed.get("email"),
        "claimed_phone": claimed.get("phone"),
    }


class Resolver:
    """Runs inbound messages through the graph; one instance per process and store."""

    def __init__(self, services: Services, checkpointer: BaseCheckpointSaver[Any]) -> None:
        self.services = services
        self.graph = builder.compile(checkpointer=checkpointer)
        self.locks = CustomerLocks(services.engine)
        self.in_flight_wait = 30.0
        """Seconds a redelivery waits for another process to finish the original."""

    def handle(self, request: InboundRequest) -> Resolution:
        sender = sender_identity(request.sender, self.services.phone_region)
        claims, claimed = sender.claims, sender.claimed
        # Deliveries of one message serialise on its id, and turns of one customer on theirs.
        with self.locks.hold(f"msg:{request.channel}:{request.external_id}"):
            stored = self._stored_response(request)
            if stored is not None:
                return Resolution(MessageOut.model_validate(stored), duplicate=True)
            with Session(self.services.engine, expire_on_commit=False) as session:
                resolution = resolve_customer(
                    session, claims, name=request.name, channel=request.channel
                )
                customer_id = resolution.customer.id
                conversation = current_conversation(session, customer_id, request.channel)
                try:
                    inbound = record_message(
                        session,
                        conversation,
                        direction=Direction.inbound,
                        channel=request.channel,
                        author=Author.customer,
                        text=request.text,
                        subject=request.subject,
                        external_id=request.external_id,
                        thread_id=request.thread_id,
                        sent_at=request.sent_at,
                    )
                except DuplicateMessage:
                    session.rollback()
                    stored = self._wait_for_response(request)
                    return Resolution(MessageOut.model_validate(stored), duplicate=True)
                session.commit()
            with self.locks.hold(f"customer:{customer_id}"):
                response = self._run(customer_id, inbound, claimed)
            return Resolution(response, duplicate=False)

    def _wait_for_response(self, request: InboundRequest) -> dict[str, Any]:
        """The original delivery's response, once the process handling it has stored it."""
        deadline = time.monotonic() + self.in_flight_wait
        while True:
            stored = self._stored_response(request)
            if stored is not None:
                return stored
            if time.monotonic() >= deadline:
                raise MessageInFlight(f"{request.channel}/{request.external_id} is in progress")
            time.sleep(0.2)

    def _stored_response(self, request: InboundRequest) -> dict[str, Any] | None:
        with Session(self.services.engine, expire_on_commit=False) as session:
            message = find_message(session, request.channel, request.external_id)
            if message is None:
                return None
            response = message.meta.get("response")
            return dict(response) if response else None

    def _run(self, customer_id: str, inbound: Message, claimed: dict[str, str]) -> MessageOut:
        context = Context(self.services)
        payload: AgentInput = {
            "customer_id": customer_id,
            "message": inbound_state(inbound, claimed),
        }
        config: RunnableConfig = {"configurable": {"thread_id": customer_id}}
        try:
            state: dict[str, Any] = self.graph.invoke(payload, config=config, context=context)
        except Exception:
            logger.exception("graph failed for message %s", inbound.id)
            state = self._fail_safe(inbound, context)
        survivor = (state.get("identity") or {}).get("customer_id") or customer_id
        if survivor != customer_id:
            self._carry_session(state, survivor)
        response = self._response(state, inbound, survivor)
        trace = context.trace.as_dict()
        with Session(self.services.engine, expire_on_commit=False) as session:
            trace_row = Trace(
                id=response.trace_id,
                customer_id=survivor,
                conversation_id=response.conversation_id,
                message_id=inbound.id,
                data=trace,
            )
            session.add(trace_row)
            message = session.get(Message, inbound.id)
            assert message is not None
            message.meta = {**message.meta, "response": response.model_dump(mode="json")}
            session.commit()
        return response

    def _carry_session(self, state: dict[str, Any], survivor: str) -> None:
        """After a merge the survivor's thread continues the session the customer was in."""
        values = {k: state[k] for k in SESSION_FIELDS if k in state}
        self.graph.update_state({"configurable": {"thread_id": survivor}}, values)

    def _fail_safe(self, inbound: Message, context: Context) -> dict[str, Any]:
        """An unexpected failure still gets an honest reply and a human (never a 500)."""
        from agent.nodes.escalate import escalate_case

        state: dict[str, Any] = {
            "customer_id": inbound.customer_id,
            "message": inbound_state(inbound, {}),
            "escalation": {
                "code": "internal_error",
                "priority": "high",
                "message": "The agent failed while handling this message.",
            },
            "situation": "escalated",
        }

        class _Runtime:
            def __init__(self, ctx: Context) -> None:
                self.context = ctx

        try:
            state.update(escalate_case(state, _Runtime(context)))  # type: ignore[arg-type]
        except Exception:
            logger.exception("fail-safe escalation failed for message %s", inbound.id)
        draft = self.services.composer.compose(state, self.services.policy)
        state["reply"] = {"text": draft.text, "channel": inbound.channel, "parts": [draft.text]}
        state["outcome"] = "escalated"
        return state

    def _response(self, state: dict[str, Any], inbound: Message, customer_id: str) -> MessageOut:
        understanding = state.get("understanding") or {}
        escalation = None
        if state.get("escalation_id"):
            with Session(self.services.engine, expire_on_commit=False) as session:
                row = session.get(Escalation, state["escalation_id"])
                escalation = dict(row.packet) if row else None
        message = state.get("message") or {}
        body = {
            "conversation_id": message.get("conversation_id") or inbound.conversation_id,
            "customer_id": customer_id,
            "outcome": state.get("outcome") or "escalated",
            "reply": state.get("reply") or None,
            "intent": {
                "name": state.get("intent") or understanding.get("intent", "unknown"),
                "confidence": round(float(understanding.get("confidence", 0.0)), 4),
            },
            "actions": [
                {k: a.get(k) for k in ("tool", "args", "status", "detail")}
                for a in state.get("actions") or []
            ],
            "sources": (state.get("draft") or {}).get("sources", []),
            "escalation": escalation,
            "review_id": state.get("review_id"),
            "trace_id": new_id("trc"),
            "asks": asks_handled(state),
        }
        return MessageOut.model_validate(body)
