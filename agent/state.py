"""The agent's state: what a customer's session remembers, and what one turn works out.

One LangGraph thread per customer. Session fields survive across turns and channels (that is how a
case started on Instagram continues by email); turn fields are reset by every new message.
Everything is plain JSON-safe data so any checkpointer can store it.
"""

from __future__ import annotations

from typing import Any

from typing_extensions import TypedDict

from agent.dialogue import Recall


class InboundMessage(TypedDict):
    """The customer's message this turn, as recorded in the inbox."""

    id: str
    conversation_id: str
    channel: str
    text: str
    subject: str | None
    sent_at: str
    claimed_email: str | None
    """An email the sender gave but the channel did not prove (e.g. typed into a chat form)."""
    claimed_phone: str | None
    claim_keyed: bool
    """The session is keyed only by an identifier the sender claimed (no handle, no thread):
    anyone claiming it shares the session, so nothing proven in it is kept."""


class CodeProof(TypedDict):
    """A one-time code sent before a write on an order opened by a claim (`agent.verification`)."""

    code_id: str
    kind: str
    masked: str
    """Where the code went, masked, to tell the customer."""


class PendingAction(TypedDict, total=False):
    """An irreversible action proposed to the customer, waiting for an explicit yes."""

    id: str
    tool: str
    args: dict[str, Any]
    summary: str
    channel: str
    """Where it was proposed; the yes may come on any channel."""
    proposed_at: str
    proof: CodeProof | None
    """Set when the yes must be the one-time code (the order was opened by a claim)."""
    grant: dict[str, list[str]] | None
    """The claimed emails/phones that opened the order (used when writes accept a claim)."""


class OpenIssue(TypedDict):
    """What the customer came about, so the next channel needn't ask again."""

    intent: str
    channel: str
    order: str | None
    item: str | None
    raised_at: str


class AgentInput(TypedDict):
    """What the API hands the graph for one turn."""

    customer_id: str
    message: InboundMessage


class AgentState(TypedDict, total=False):
    # --- session: kept across turns and channels -------------------------------------------
    customer_id: str
    """The inbox customer this thread belongs to."""
    active_order: str | None
    """The order name under discussion (e.g. `#1042`), once verified for this customer."""
    open_issue: OpenIssue | None
    """The unresolved problem the customer raised, on whichever channel."""
    pending_action: PendingAction | None
    """An action awaiting the customer's confirmation."""
    low_confidence_streak: int
    """Consecutive turns the agent did not understand; two in a row escalate."""
    unresolved_turns: int
    """Consecutive AI turns without an answer or an action; `max_ai_turns` escalates."""
    escalated: bool
    """A human has the case: the agent only sends holding replies until it is reopened."""
    shop_checked: str | None
    """Proven identifiers already looked up in the shop without finding one record."""
    orders_seen: dict[str, dict[str, Any]]
    """Order summaries looked at for this customer (by name), for the escalation packet."""
    order_grants: dict[str, dict[str, list[str]]]
    """Orders opened for reading by a claim (order number + the email/phone on it): order name
    to the claimed identifiers that matched. A grant reads that order only; it never merges."""
    escalation_matter: dict[str, Any] | None
    """What the person's case is about (reason code, order, intent), so unrelated requests stay
    with the agent."""
    dialogue: Recall | None
    """What the last turn left open (question answered, orders listed, a clarification asked),
    for follow-ups, references and corrections (`agent.dialogue`)."""

    # --- turn: reset by every message ------------------------------------------------------
    message: InboundMessage
    """This turn's inbound message."""
    identity: dict[str, Any]
    """Verified emails/phones/Shopify id of the customer, and every known identifier."""
    history: list[dict[str, Any]]
    """Earlier messages on every channel (oldest first), for context and escalation."""
    continued_from: dict[str, Any] | None
    """The other channel's open issue or pending action this message continues, if any."""
    escalated_case_id: str | None
    """The customer's conversation a person has (escalated), if any."""
    case: str
    """With a person's case open: `join` (this message is about it) or `separate`."""
    questions: list[dict[str, Any]]
    """The message's knowledge questions (text, intent, topic), each answered on its own."""
    answers: list[dict[str, Any]]
    """Per question: the passages found and whether the best one answers it."""
    understanding: dict[str, Any]
    """Intent with confidence and top scores, entities, frustration, safety flags."""
    search_text: str | None
    """What to search the knowledge for when the message leans on the last turn ("and how
    long does that take?" searched with the question before it)."""
    intent: str
    """The intent acted on: the classifier's, or the open issue's when the message continues it."""
    route: str
    """retrieve | act | ask | respond | escalate."""
    route_reason: str
    """Why route chose that, for the trace."""
    passages: list[dict[str, Any]]
    """Retrieved knowledge passages with ids and scores."""
    answerable: bool
    """Whether the best passage clears the retrieval threshold."""
    order: dict[str, Any] | None
    """The order looked at this turn (only when the customer owns it)."""
    orders: list[dict[str, Any]]
    """Candidate orders when the customer has several."""
    actions: list[dict[str, Any]]
    """Tool calls this turn: tool, args, status, detail, reason."""
    ask: str | None
    """What the reply asks for: order_number, which_order, verification, confirm, address, …"""
    situation: str
    """The composer's template key for this turn."""
    escalation: dict[str, Any] | None
    """Set when a human must take over: code, message, priority."""
    draft: dict[str, Any]
    """The composed reply before formatting: text and sources."""
    reply: dict[str, Any]
    """The formatted reply: text, channel, parts."""
    outcome: str
    """replied | held_for_review | escalated."""
    gate: dict[str, Any]
    """The autonomy stage's decision: stage, outcome, review (hold | sample | None)."""
    tool_result: dict[str, Any] | None
    """The last write's result, for the composer."""
    refusal: dict[str, Any] | None
    """Why an action was refused and what can still be done, from the order's own facts."""
    code: dict[str, Any] | None
    """The one-time code asked for this turn: where it went (masked), tries left, outcome."""
    blocked: list[dict[str, Any]]
    """Lines that cannot be returned, with reasons."""
    eligibility: list[dict[str, Any]]
    """Return eligibility per line of the order looked at."""
    review_id: str | None
    escalation_id: str | None
    reply_message_id: str | None


TURN_DEFAULTS: dict[str, Any] = {
    "identity": {},
    "history": [],
    "continued_from": None,
    "escalated_case_id": None,
    "case": "",
    "questions": [],
    "answers": [],
    "understanding": {},
    "search_text": None,
    "intent": "",
    "route": "",
    "route_reason": "",
    "passages": [],
    "answerable": False,
    "order": None,
    "orders": [],
    "actions": [],
    "ask": None,
    "situation": "",
    "escalation": None,
    "draft": {},
    "reply": {},
    "outcome": "",
    "gate": {},
    "tool_result": None,
    "refusal": None,
    "code": None,
    "blocked": [],
    "eligibility": [],
    "review_id": None,
    "escalation_id": None,
    "reply_message_id": None,
}
"""Every turn starts from these, so nothing from the last message leaks into this one."""
