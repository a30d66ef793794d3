"""Reviewers' corrections as eval cases: every edited or rejected reply becomes a case that replays
the customer's side of the conversation and expects what the reviewer decided.

- Edited: the reviewer's text is the turn's `reference` (for the similarity metrics), and the
  checkable facts it states (order numbers, amounts, day counts, tracking numbers, ISO dates) are
  `contains`. Facts the reviewer removed from a reply marked `wrong_facts` become `not_contains`.
- Rejected: the rejected reply's distinctive sentences (those that state facts, else its
  longest) are `not_contains`; for `wrong_action`, the writes it made are `tools_not_run` and
  the turn expects no write (`actions: []`).

The customer is rebuilt from their identities as each channel proves them (the email on email,
the phone on SMS/WhatsApp/voice, the handle on chat, Instagram and Messenger), with what the
message only claimed, so the replay reaches the same orders.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import yaml
from sqlmodel import Session, col, select

from agent.proof import SENDER_FIELD
from inbox.models import Customer, Direction, Identity, Message, Review, ReviewStatus

EXPORTABLE = (ReviewStatus.edited, ReviewStatus.rejected)
WRITE_TOOLS = ("cancel_order", "create_return", "refund", "update_shipping_address")
MAX_FACTS = 6
MAX_SENTENCES = 3

_ORDER = re.compile(r"(?:#|\border\s+(?:number\s+|no\.?\s*)?#?)(\d{3,})\b", re.IGNORECASE)
_MONEY = re.compile(
    r"(?:[$€£]\s?|\b(?:USD|CAD|EUR|GBP|AUD)\s?)(\d[\d,]*(?:\.\d{2})?)"
    r"|\b(\d[\d,]*\.\d{2})\s?(?:USD|CAD|EUR|GBP|AUD)\b"
)
_DAYS = re.compile(r"\b(\d{1,3})[ -](?:business |calendar |working )?days?\b", re.IGNORECASE)
_TRACKING = re.compile(r"\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*\d{6})[A-Z0-9]{10,}\b")
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(#$])")
_TAG_VALUE = re.compile(r"[^A-Za-z0-9_.-]+")
_HANDLE_KINDS = {"chat": "chat_visitor", "instagram": "instagram", "messenger": "messenger"}
_SESSION_KEY = re.compile(r"^(?:claim|thread):")
"""A chat-visitor identity that is an anonymous session key, not a handle the sender gave."""


# ---- what a text states ----------------------------------------------------------------------
def facts_of(text: str) -> list[str]:
    """The checkable facts of a reply, normalised so an equivalent wording still contains them:
    order numbers without '#', amounts without currency, day counts as the number, tracking
    numbers and ISO dates as written. In order of appearance, each once."""
    found: list[tuple[int, str]] = []
    found += [(m.start(), m.group(1)) for m in _ORDER.finditer(text)]
    found += [(m.start(), m.group(1) or m.group(2)) for m in _MONEY.finditer(text)]
    found += [(m.start(), m.group(1)) for m in _DAYS.finditer(text)]
    found += [(m.start(), m.group(0)) for m in _TRACKING.finditer(text)]
    found += [(m.start(), m.group(0)) for m in _ISO_DATE.finditer(text)]
    facts: list[str] = []
    for _, fact in sorted(found):
        fact = fact.rstrip(",")
        if fact and fact not in facts:
            facts.append(fact)
    return facts


def _body_lines(text: str) -> list[str]:
    """The reply without its greeting and sign-off (short lines such as 'Hi Nora,')."""
    return [line.strip() for line in text.splitlines() if len(line.split()) > 4]


def distinctive_sentences(text: str, limit: int = MAX_SENTENCES) -> list[str]:
    """The sentences that make this reply this reply: those stating facts (an order number, an
    amount, a day count, ...), else its two longest; short generic ones ('Is there anything else
    I can help with?') never."""
    sentences = [
        s.strip() for line in _body_lines(text) for s in _SENTENCE_END.split(line) if s.strip()
    ]
    candidates = [s for s in sentences if len(s.split()) >= 6]
    chosen = [s for s in candidates if facts_of(s)][:limit]
    if not chosen:
        chosen = sorted(candidates, key=len, reverse=True)[: min(limit, 2)]
    return [s for s in sentences if s in chosen]


# ---- who wrote ---------------------------------------------------------------------------------
def _native_value(channel: str, identities: Sequence[Identity]) -> str | None:
    """The sender identifier this channel proves, from the customer's verified identities."""
    field = SENDER_FIELD.get(channel)
    if field == "email":
        kinds: tuple[str, ...] = ("email",)
    elif field == "phone":
        kinds = ("whatsapp", "phone") if channel == "whatsapp" else ("phone",)
    else:
        kinds = (_HANDLE_KINDS.get(channel, "chat_visitor"),)
    for kind in kinds:
        for identity in identities:
            if (
                identity.kind == kind
                and identity.verified
                and not _SESSION_KEY.match(identity.value)
            ):
                return identity.value
    return None


def sender_of(message: Message, identities: Sequence[Identity], name: str | None) -> dict[str, Any]:
    """The `customer` of a turn as a helpdesk would send it: the channel's own identifier
    (verified), else an email or phone the helpdesk must have vouched for, plus what the message
    only claimed."""
    channel = str(message.channel)
    field = SENDER_FIELD.get(channel, "handle")
    customer: dict[str, Any] = {}
    verified: list[str] = []
    if native := _native_value(channel, identities):
        customer[field] = native
        verified.append(field)
    else:
        for kind in ("email", "phone"):
            vouched = next((i.value for i in identities if i.kind == kind and i.verified), None)
            if vouched:
                customer[kind] = vouched
                verified.append(kind)
                break
    claimed = (message.meta or {}).get("sender") or {}
    for kind in ("email", "phone"):
        if claimed.get(f"claimed_{kind}") and kind not in customer:
            customer[kind] = claimed[f"claimed_{kind}"]
    if name:
        customer["name"] = name
    if verified:
        customer["verified"] = verified
    return customer


# ---- one review, one case ----------------------------------------------------------------------
def _tag(kind: str, value: str | None) -> str | None:
    cleaned = _TAG_VALUE.sub("-", value or "").strip("-")
    return f"{kind}:{cleaned}" if cleaned else None


def _customer_turns(session: Session, review: Review) -> list[Message]:
    """The customer's messages of the conversation, up to and including the reviewed one."""
    inbound = session.exec(
        select(Message)
        .where(Message.conversation_id == review.conversation_id)
        .where(Message.direction == Direction.inbound)
        .order_by(col(Message.sent_at), col(Message.created_at), col(Message.id))
    ).all()
    answered = review.inbound_message_id
    if answered is None:
        reply = session.get(Message, review.message_id)
        answered = (reply.meta or {}).get("in_reply_to") if reply else None
    ids = [m.id for m in inbound]
    return list(inbound[: ids.index(answered) + 1]) if answered in ids else []


def _identities(session: Session, customer_id: str | None) -> tuple[list[Identity], str | None]:
    """The customer's identities (following merges) and name."""
    customer = session.get(Customer, customer_id) if customer_id else None
    seen: set[str] = set()
    while customer is not None and customer.merged_into_id and customer.id not in seen:
        seen.add(customer.id)
        customer = session.get(Customer, customer.merged_into_id)
    if customer is None:
        return [], None
    rows = session.exec(
        select(Identity)
        .where(Identity.customer_id == customer.id)
        .order_by(col(Identity.created_at), col(Identity.id))
    ).all()
    return list(rows), customer.name


def _expectations(review: Review) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the last turn's `expect`, the case's `expect`)."""
    turn: dict[str, Any] = {}
    case: dict[str, Any] = {}
    if review.status == ReviewStatus.edited:
        edited = review.final_text or ""
        turn["reference"] = edited
        if facts := facts_of(edited)[:MAX_FACTS]:
            turn["contains"] = facts
        if review.category == "wrong_facts":
            # Only facts distinctive enough to ban (an amount, an order or tracking number, a
            # date): a bare day count such as '3' would turn up in any reply.
            kept = set(facts_of(edited))
            removed = [f for f in facts_of(review.reply_text) if f not in kept and len(f) >= 4]
            if removed:
                turn["not_contains"] = removed[:MAX_FACTS]
    else:
        if sentences := distinctive_sentences(review.reply_text):
            turn["not_contains"] = sentences
        if review.category == "wrong_action":
            turn["actions"] = []
            writes = [
                str(a.get("tool"))
                for a in (review.context or {}).get("actions") or []
                if a.get("tool") in WRITE_TOOLS and a.get("status") in ("done", "failed")
            ]
            if writes:
                case["tools_not_run"] = sorted(set(writes))
    return turn, case


def _description(review: Review) -> str:
    decided = review.decided_at.date().isoformat() if review.decided_at else "?"
    who = review.decided_by_name or review.decided_by or "a reviewer"
    why = f" ({review.category})" if review.category else ""
    lines = [f"Review {review.id}: {review.status} by {who} on {decided}{why}."]
    if review.note:
        lines.append(f"Note: {' '.join(review.note.split())}")
    if review.status == ReviewStatus.edited:
        lines += ["The AI wrote:", review.reply_text.strip()]
    return "\n".join(lines)


def review_case(session: Session, review: Review, store: str) -> dict[str, Any] | None:
    """The eval case for one decided review; None when its messages are gone (erased)."""
    messages = _customer_turns(session, review)
    if not messages:
        return None
    identities, name = _identities(session, review.customer_id)
    senders = [sender_of(m, identities, name) for m in messages]
    turns: list[dict[str, Any]] = []
    for message, sender in zip(messages, senders, strict=True):
        turn: dict[str, Any] = {"channel": str(message.channel), "text": message.text}
        if message.subject:
            turn["subject"] = message.subject
        if message.thread_id:
            turn["thread_id"] = message.thread_id
        if sender != senders[-1]:
            turn["customer"] = sender
        if not sender and not message.thread_id:
            turn["thread_id"] = review.conversation_id
        turns.append(turn)
    turn_expect, case_expect = _expectations(review)
    if turn_expect:
        turns[-1]["expect"] = turn_expect
    tags = [
        "source:review",
        _tag("channel", str(review.channel)),
        _tag("intent", review.intent),
        _tag("review", str(review.status)),
        _tag("category", review.category),
    ]
    case: dict[str, Any] = {
        "id": f"review-{review.id}",
        "description": _description(review),
        "store": store,
        "tags": [t for t in tags if t],
    }
    if senders[-1]:
        case["customer"] = senders[-1]
    case["turns"] = turns
    if case_expect:
        case["expect"] = case_expect
    return case


def decided_reviews(
    session: Session, statuses: Iterable[ReviewStatus] = EXPORTABLE, since: datetime | None = None
) -> list[Review]:
    """Edited and/or rejected reviews, oldest decision first."""
    wanted = [s for s in statuses if s in EXPORTABLE]
    query = select(Review).where(col(Review.status).in_(wanted))
    if since is not None:
        query = query.where(col(Review.decided_at) >= since)
    return list(session.exec(query.order_by(col(Review.decided_at), col(Review.id))).all())


def export_suite(
    session: Session,
    store: str,
    *,
    statuses: Iterable[ReviewStatus] = EXPORTABLE,
    since: datetime | None = None,
    name: str = "reviews",
) -> dict[str, Any]:
    """The suite (as the suite file holds it) of every matching review; `cases` may be empty,
    which a suite file may not be."""
    cases = [review_case(session, r, store) for r in decided_reviews(session, statuses, since)]
    return {
        "suite": name,
        "description": "Replies reviewers edited or rejected, exported by `threadline review "
        "export`: each case replays the customer's messages and expects the reviewer's decision.",
        "cases": [case for case in cases if case is not None],
    }


# ---- the file ----------------------------------------------------------------------------------
class _SuiteDumper(yaml.SafeDumper):
    """Multi-line texts (emails) as literal blocks, as a person writes them in a suite file."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_SuiteDumper.add_representer(str, _str)

HEADER = (
    "# Eval cases from reviewers' decisions (`threadline review export`).\n"
    '# Run: threadline eval run --suite <this file>   Format: README "Evals: suites".\n'
)


def suite_yaml(suite: dict[str, Any]) -> str:
    """The suite file's text."""
    body = yaml.dump(
        suite, Dumper=_SuiteDumper, sort_keys=False, allow_unicode=True, width=100, indent=2
    )
    return HEADER + body
