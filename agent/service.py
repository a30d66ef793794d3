"""The resolution service: one inbound message in, one response out (DESIGN.md §3.3).

Order of work: validate and resolve the sender, dedupe on `(channel, external_id)`, record the
message with a lease, run the customer's graph thread under a per-customer lock, store the
response with the message (so a redelivery gets the same body and no second action) and clear
the lease, store the trace.

Durability. A message is recorded before it is worked on, so a crash never loses it: the lease
says how long its handler may take. A redelivery while the lease runs is answered 409 at once
(no queueing); after the lease, an unanswered message is taken over by the redelivery or by the
recovery sweep (`recover`, also run at start-up) and completed. Under the customer's lock the
stored response is checked again, so a message is answered exactly once even if its lease ran
out while the first handler was still busy; writes carry idempotency keys besides.

Concurrency. At most `max_concurrent` turns run at once per process; the rest wait for a slot
without holding a database connection (each running turn holds at most two: the customer's
lock on PostgreSQL and a short-lived session).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy import Engine, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from agent.context import Context, Services
from agent.graph import builder
from agent.locks import CustomerLocks
from agent.proof import Sender, SenderIdentity, sender_identity
from agent.response import MessageOut
from agent.state import AgentInput, InboundMessage
from agent.trace import TraceRecorder
from inbox.conversations import (
    DuplicateMessage,
    current_conversation,
    find_message,
    message_view,
    record_message,
)
from inbox.identity import canonical_customer, resolve_customer
from inbox.models import Author, Direction, Escalation, Message, Trace, new_id, utcnow
from inbox.outbound_events import EventSink, report_merges
from inbox.outbox import ORIGIN_KEY

logger = logging.getLogger("threadline.agent")

_RECORD_ATTEMPTS = 3
"""Tries to record an inbound message when its sender's record is being created concurrently."""

SESSION_FIELDS = (
    "active_order",
    "open_issue",
    "pending_action",
    "low_confidence_streak",
    "unresolved_turns",
    "orders_seen",
    "shop_checked",
    "escalation_matter",
    "order_grants",
    "dialogue",
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
    origin: dict[str, Any] | None = None
    """The channel webhook it came in on and how to answer there (`inbox.outbox`); None: a
    helpdesk posted it and sends the reply itself."""

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


def inbound_state(inbound: Message) -> InboundMessage:
    """The recorded inbound message as the graph's state holds it."""
    view = message_view(inbound)
    sender = inbound.meta.get("sender") or {}
    return {
        "id": view["id"],
        "conversation_id": inbound.conversation_id,
        "channel": view["channel"],
        "text": view["text"],
        "subject": view["subject"],
        "sent_at": view["sent_at"],
        "claimed_email": sender.get("claimed_email"),
        "claimed_phone": sender.get("claimed_phone"),
        "claim_keyed": bool(sender.get("claim_keyed")),
    }


def record_inbound(
    session: Session, request: InboundRequest, sender: SenderIdentity, events: EventSink
) -> Message:
    """Record an inbound message under its sender's customer, in the caller's transaction: the
    first thing done with a message, before any turn runs. A known `(channel, external_id)`
    raises `DuplicateMessage`."""
    resolution = resolve_customer(
        session, sender.claims, name=request.name, channel=request.channel
    )
    report_merges(
        session,
        events,
        resolution.customer.id,
        resolution.merged_ids,
        channel=request.channel,
        reason="proven_identifiers",
    )
    conversation = current_conversation(session, resolution.customer.id, request.channel)
    return record_message(
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
        meta={
            "sender": {
                "claimed_email": sender.claimed.get("email"),
                "claimed_phone": sender.claimed.get("phone"),
                "claim_keyed": bool(sender.session_key and sender.session_key.startswith("claim:")),
            },
            **({ORIGIN_KEY: request.origin} if request.origin else {}),
        },
    )


def turn_response(
    engine: Engine, state: dict[str, Any], inbound: Message, customer_id: str
) -> MessageOut:
    """The response to one turn (DESIGN.md §3.3), from the graph's final state."""
    understanding = state.get("understanding") or {}
    escalation = None
    if state.get("escalation_id"):
        with Session(engine, expire_on_commit=False) as session:
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


def store_turn(engine: Engine, message_id: str, response: MessageOut, trace: TraceRecorder) -> None:
    """Store the turn's trace, and its response with the inbound message (clearing the lease):
    the message is answered, and a redelivery gets the same body."""
    with Session(engine, expire_on_commit=False) as session:
        session.add(
            Trace(
                id=response.trace_id,
                customer_id=response.customer_id,
                conversation_id=response.conversation_id,
                message_id=message_id,
                data=trace.as_dict(),
            )
        )
        message = session.get(Message, message_id)
        assert message is not None
        message.meta = {**message.meta, "response": response.model_dump(mode="json")}
        message.lease_until = None
        session.commit()


class Resolver:
    """Runs inbound messages through the graph; one instance per process and store."""

    def __init__(
        self,
        services: Services,
        checkpointer: BaseCheckpointSaver[Any],
        *,
        max_concurrent: int = 8,
        lease_seconds: float = 30.0,
    ) -> None:
        self.services = services
        self.graph = builder.compile(checkpointer=checkpointer)
        self.locks = CustomerLocks(services.engine)
        self.slots = threading.BoundedSemaphore(max_concurrent)
        """Turns that may run at once in this process."""
        self.lease = timedelta(seconds=lease_seconds)
        """How long a handler may take before its message may be taken over."""

    def handle(self, request: InboundRequest) -> Resolution:
        sender = sender_identity(request.sender, self.services.phone_region)
        with Session(self.services.engine, expire_on_commit=False) as session:
            known = find_message(session, request.channel, request.external_id)
        if known is not None:
            return self._redelivered(known)
        recorded = self._record(request, sender)
        if isinstance(recorded, Resolution):
            return recorded
        return self._complete(recorded, recorded.customer_id)

    def accept(self, request: InboundRequest) -> Message | None:
        """Record a message now and leave its turn to `finish` (a channel webhook answers its
        provider at once); None when it was recorded before (a redelivery: its first delivery
        is answered, or the recovery sweep completes it)."""
        sender = sender_identity(request.sender, self.services.phone_region)
        with Session(self.services.engine, expire_on_commit=False) as session:
            if find_message(session, request.channel, request.external_id) is not None:
                return None
        try:
            recorded = self._record(request, sender)
        except MessageInFlight:  # a concurrent delivery recorded it first and is on it
            return None
        return recorded if isinstance(recorded, Message) else None

    def finish(self, inbound: Message) -> Resolution:
        """Run the turn of a message `accept` recorded (the reply goes to the outbox)."""
        return self._complete(inbound, inbound.customer_id)

    def _record(self, request: InboundRequest, sender: SenderIdentity) -> Message | Resolution:
        """Two first messages of one new customer may race to create their record (or to link
        one identifier): the loser's transaction is rolled back, and its next try finds the
        winner's record."""
        attempt = 1
        while True:
            try:
                return self._record_once(request, sender)
            except IntegrityError:
                if attempt == _RECORD_ATTEMPTS:
                    raise
                attempt += 1

    def _record_once(self, request: InboundRequest, sender: SenderIdentity) -> Message | Resolution:
        """Store the inbound message under its sender's customer, leased to this handler; a
        concurrent delivery that recorded it first gets that delivery's answer instead."""
        with Session(self.services.engine, expire_on_commit=False) as session:
            try:
                inbound = record_inbound(session, request, sender, self.services.events)
                inbound.lease_until = utcnow() + self.lease
            except DuplicateMessage as duplicate:  # a concurrent delivery recorded it first
                session.rollback()
                return self._redelivered(duplicate.existing)
            session.commit()
        return inbound

    def recover(self, *, everything: bool = False) -> int:
        """Complete inbound messages whose handler died (lease over, no response); with
        `everything`, also those still leased (at start-up of the only process). Returns how
        many were completed here."""
        horizon = utcnow() + (timedelta(days=3650) if everything else timedelta(0))
        with Session(self.services.engine, expire_on_commit=False) as session:
            stuck = session.exec(
                select(Message)
                .where(Message.direction == Direction.inbound)
                .where(col(Message.lease_until).is_not(None))
                .where(col(Message.lease_until) < horizon)
                .order_by(col(Message.sent_at), col(Message.id))
            ).all()
        completed = 0
        for message in stuck:
            if self._take_over(message, horizon):
                try:
                    self._complete(message, message.customer_id)
                    completed += 1
                except Exception:  # one message must not stop the others' recovery
                    logger.exception("recovery failed for message %s", message.id)
        if completed:
            logger.info("recovered %d unanswered message(s)", completed)
        return completed

    def _redelivered(self, message: Message) -> Resolution:
        """A message seen before: its response, a 409 while it is in hand, or a take-over."""
        stored = message.meta.get("response")
        if stored:
            return Resolution(MessageOut.model_validate(stored), duplicate=True)
        if not self._take_over(message, utcnow()):
            raise MessageInFlight(
                f"{message.channel}/{message.external_id} is being handled; retry shortly"
            )
        resolution = self._complete(message, message.customer_id)
        return Resolution(resolution.response, duplicate=True)

    def _take_over(self, message: Message, horizon: datetime) -> bool:
        """Claim an unanswered message whose lease ended before `horizon` (atomically)."""
        with Session(self.services.engine) as session:
            taken = session.execute(
                update(Message)
                .where(col(Message.id) == message.id)
                .where(or_(col(Message.lease_until).is_(None), col(Message.lease_until) < horizon))
                .values(lease_until=utcnow() + self.lease)
            )
            session.commit()
        return bool(getattr(taken, "rowcount", 0))

    def _complete(self, inbound: Message, customer_id: str) -> Resolution:
        """Run the turn for a recorded message, once, under the customer's lock."""
        with self.slots:
            with Session(self.services.engine, expire_on_commit=False) as session:
                owner = canonical_customer(session, customer_id)
            customer_id = owner.id if owner else customer_id
            with self.locks.hold(f"customer:{customer_id}"):
                stored = self._stored_response(inbound.id)
                if stored is not None:  # another handler finished it while this one waited
                    return Resolution(MessageOut.model_validate(stored), duplicate=True)
                response = self._run(customer_id, inbound)
        return Resolution(response, duplicate=False)

    def _stored_response(self, message_id: str) -> dict[str, Any] | None:
        with Session(self.services.engine, expire_on_commit=False) as session:
            message = session.get(Message, message_id)
            response = message.meta.get("response") if message else None
            return dict(response) if response else None

    def _run(self, customer_id: str, inbound: Message) -> MessageOut:
        context = Context(self.services)
        payload: AgentInput = {"customer_id": customer_id, "message": inbound_state(inbound)}
        config: RunnableConfig = {"configurable": {"thread_id": customer_id}}
        try:
            state: dict[str, Any] = self._invoke(payload, config, context)
        except Exception:
            logger.exception("graph failed for message %s", inbound.id)
            state = self._fail_safe(inbound, context)
        survivor = (state.get("identity") or {}).get("customer_id") or customer_id
        if survivor != customer_id:
            self._carry_session(state, survivor)
        response = self._response(state, inbound, survivor)
        store_turn(self.services.engine, inbound.id, response, context.trace)
        return response

    def _invoke(
        self, payload: AgentInput, config: RunnableConfig, context: Context
    ) -> dict[str, Any]:
        """Run the turn, or finish the one a crash cut short for this very message.

        A fresh run after a cut-short one would read the session as the crash left it (a
        proposal already carried out, say) and answer as if nothing had happened; so a run that
        stopped between nodes resumes from its last checkpoint, and one that finished but was
        not stored gives its final state.
        """
        snapshot = self.graph.get_state(config)
        interrupted = (snapshot.values.get("message") or {}).get("id") == payload["message"]["id"]
        if interrupted and snapshot.next:
            logger.info("resuming a cut-short turn at %s", ", ".join(snapshot.next))
            resumed: dict[str, Any] = self.graph.invoke(None, config=config, context=context)
            return resumed
        if interrupted:
            return dict(snapshot.values)
        state: dict[str, Any] = self.graph.invoke(payload, config=config, context=context)
        return state

    def _carry_session(self, state: dict[str, Any], survivor: str) -> None:
        """After a merge the survivor's thread continues the session the customer was in."""
        values = {k: state[k] for k in SESSION_FIELDS if k in state}
        self.graph.update_state({"configurable": {"thread_id": survivor}}, values)

    def _fail_safe(self, inbound: Message, context: Context) -> dict[str, Any]:
        """An unexpected failure still gets an honest reply and a human (never a 500)."""
        from agent.nodes.escalate import escalate_case

        state: dict[str, Any] = {
            "customer_id": inbound.customer_id,
            "message": inbound_state(inbound),
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
        return turn_response(self.services.engine, state, inbound, customer_id)
