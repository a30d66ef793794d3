"""Trust (issue 9): a claim opens one order for reading and never merges; writes need proof.

Proof by the channel, by the helpdesk (`customer.verified`) or by a one-time code sent to the
email or phone on the order. Cancellations whose refund is above the automatic limit go to a
person; address changes are read back and confirmed like the other writes.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from inbox.models import Event, Identity, OutboxMessage, VerificationCode
from tests.agent.conftest import AgentApi
from tests.agent.demo import (
    CUSTOMERS,
    REFUND_LIMIT,
    cancellable,
    is_open,
    orders_of,
    owner_email,
    pick,
)


def _acts(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["tool"], a["status"]) for a in body["actions"]]


def _cancelled(api: AgentApi, order: dict[str, Any]) -> bool:
    return api.order(order["name"], email=owner_email(order))["cancelled_at"] is not None


def _events(api: AgentApi, kind: str) -> list[Event]:
    with Session(api.runtime.services.engine) as session:
        return list(session.exec(select(Event).where(Event.kind == kind)).all())


def _victim(api: AgentApi) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """A customer with an email, a cancellable order and at least one other order."""
    for customer in CUSTOMERS:
        mine = list(orders_of(customer))
        targets = [o for o in mine if cancellable(o) and o["name"] not in api.used]
        if customer.get("email") and len(mine) >= 2 and targets:
            api.used.add(targets[0]["name"])
            others = [o for o in mine if o["name"] != targets[0]["name"]]
            return customer, targets[0], others
    raise LookupError("the demo store has no such customer")


def test_a_claim_opens_one_order_for_reading_and_merges_nothing(agent_api: AgentApi) -> None:
    customer, order, others = _victim(agent_api)
    email = customer["email"]
    probe = agent_api.send(
        "chat",
        f"hi, where is order {order['name']}? my email is {email}",
        handle="mallory-1",
        name="Mallory",
    )
    assert order["name"] in probe["reply"]["text"]  # the number and the email open that order
    listing = agent_api.send("chat", "can you list all my other orders?", handle="mallory-1")
    reply = listing["reply"]["text"] if listing["reply"] else ""
    assert not [o["name"] for o in others if o["name"] in reply]
    # The real customer, by email, is not the claimant and is not greeted by their name.
    own = agent_api.send("email", "Hello, any news on my orders?", email=email)
    assert own["customer_id"] != probe["customer_id"]
    assert "Mallory" not in (own["reply"] or {}).get("text", "")
    with Session(agent_api.runtime.services.engine) as session:
        linked = session.exec(
            select(Identity).where(
                Identity.customer_id == probe["customer_id"], Identity.value == email
            )
        ).all()
    assert not [row for row in linked if row.verified]
    assert not _events(agent_api, "customers_merged")


def test_a_claim_cannot_cancel_without_the_code(agent_api: AgentApi) -> None:
    _, order, _ = _victim(agent_api)
    email = owner_email(order)
    assert email
    ask = agent_api.send(
        "chat",
        f"cancel order {order['name']} please, the email on it is {email}",
        thread_id="anon-thread-1",
    )
    assert ask["actions"] == []
    assert "code" in ask["reply"]["text"] and email not in ask["reply"]["text"]
    plain_yes = agent_api.send("chat", "YES", thread_id="anon-thread-1")
    assert plain_yes["actions"] == [] and "code" in plain_yes["reply"]["text"]
    real = agent_api.code_sent_to(email)
    wrong = f"{(int(real) + 1) % 1_000_000:06d}"
    replies = [agent_api.send("chat", wrong, thread_id="anon-thread-1") for _ in range(5)]
    assert all(body["actions"] == [] for body in replies)
    assert "doesn't match" in replies[0]["reply"]["text"]
    assert "new one" in replies[-1]["reply"]["text"]  # five wrong tries use the code up
    late = agent_api.send("chat", real, thread_id="anon-thread-1")
    assert late["actions"] == []
    assert not _cancelled(agent_api, order)
    with Session(agent_api.runtime.services.engine) as session:
        rows = session.exec(select(VerificationCode)).all()
    assert rows and all(real not in (row.code_hash, row.salt, row.value) for row in rows)
    outcomes = [e.payload["outcome"] for e in _events(agent_api, "verification_code_checked")]
    assert outcomes.count("wrong") == 4 and "exhausted" in outcomes


def test_the_code_proves_the_email_and_the_write_runs_once(agent_api: AgentApi) -> None:
    _, order, _ = _victim(agent_api)
    email = owner_email(order)
    assert email
    ask = agent_api.send(
        "chat", f"please cancel {order['name']}, my email is {email}", handle="owner-on-chat"
    )
    assert "code" in ask["reply"]["text"]
    code = agent_api.code_sent_to(email)
    done = agent_api.send("chat", f"the code is {code}", handle="owner-on-chat")
    assert _acts(done) == [("cancel_order", "done")]
    assert _cancelled(agent_api, order)
    again = agent_api.send("chat", code, handle="owner-on-chat")
    assert again["actions"] == []  # nothing pending any more: no second write
    # Proven by the code, the email now belongs to this customer on every channel.
    by_email = agent_api.send("email", "Thanks for sorting that.", email=email)
    assert by_email["customer_id"] == done["customer_id"]
    checked = _events(agent_api, "verification_code_checked")
    assert any(e.payload.get("outcome") == "correct" for e in checked)


def test_a_session_keyed_by_a_claim_keeps_no_grant(agent_api: AgentApi) -> None:
    _, order, _ = _victim(agent_api)
    email = owner_email(order)
    assert email
    first = agent_api.send("chat", f"where is {order['name']}?", email=email)
    assert order["name"] in first["reply"]["text"]
    # Anyone typing the same email into a chat form shares this session: without the order
    # number in the message, nothing about the order is read out.
    second = agent_api.send("chat", "and what was in it again?", email=email)
    assert second["customer_id"] == first["customer_id"]
    text = second["reply"]["text"] if second["reply"] else ""
    assert not [li["title"] for li in order["line_items"] if li["title"] in text]


def test_a_cancellation_above_the_refund_limit_goes_to_a_person(agent_api: AgentApi) -> None:
    order = pick(
        lambda o: (
            is_open(o)
            and o.get("fulfillment_status") is None
            and o.get("financial_status") == "paid"
            and bool(owner_email(o))
            and not cancellable(o)
        ),
        agent_api.used,
    )
    assert float(order["total_price"]) > float(REFUND_LIMIT)
    body = agent_api.send(
        "email", f"Please cancel order {order['name']}.", email=owner_email(order)
    )
    assert body["outcome"] == "escalated"
    assert body["escalation"]["reason"]["code"] == "refund_above_limit"
    assert "Nothing has been cancelled" in body["reply"]["text"]
    assert not _cancelled(agent_api, order)


def test_an_address_change_is_read_back_and_needs_a_yes(agent_api: AgentApi) -> None:
    order = pick(
        lambda o: is_open(o) and o.get("fulfillment_status") is None and bool(owner_email(o)),
        agent_api.used,
    )
    email = owner_email(order)
    number = order["name"].lstrip("#")
    ask = agent_api.send(
        "email",
        f"Hi, please ship order #{number} to 77 Juniper Lane, Portland, OR 97201 instead.",
        email=email,
    )
    assert ask["actions"] == []
    assert "77 Juniper Lane, Portland OR 97201, US" in ask["reply"]["text"]
    assert "YES" in ask["reply"]["text"]
    before = agent_api.order(order["name"], email=email)["shipping_address"]
    done = agent_api.send("email", "Yes, that's right.", email=email)
    assert _acts(done) == [("update_shipping_address", "done")]
    after = agent_api.order(order["name"], email=email)["shipping_address"]
    assert after != before
    assert any(line.startswith("77 Juniper Lane") for line in after)
    assert not any(number in line for line in after)


def test_a_yes_after_the_order_was_cancelled_is_told_the_truth(agent_api: AgentApi) -> None:
    from tools.identity import CustomerIdentity

    order = pick(cancellable, agent_api.used)
    email = owner_email(order)
    ask = agent_api.send("email", f"Could you cancel {order['name']}?", email=email)
    assert "YES" in ask["reply"]["text"]
    # The write happened but the turn never finished (a crash between the shop and the reply):
    tools = agent_api.runtime.services.tools
    first = tools.cancel_order(CustomerIdentity.of(email), order["name"], idempotency_key="crash")
    assert first.ok
    retried = agent_api.send("email", "YES", email=email)
    assert f"Order {order['name']} was cancelled on" in retried["reply"]["text"]
    assert "Done" in retried["reply"]["text"]


def test_codes_go_through_the_outbox_and_never_into_events(agent_api: AgentApi) -> None:
    order = pick(
        lambda o: is_open(o) and o.get("fulfillment_status") is None and bool(owner_email(o)),
        agent_api.used,
    )
    email = owner_email(order)
    assert email
    agent_api.send(
        "chat",
        f"ship {order['name']} to 9 Alder Court, Eugene, OR 97401 please, my email is {email}",
        handle="outbox-probe",
    )
    code = agent_api.code_sent_to(email)
    with Session(agent_api.runtime.services.engine) as session:
        payloads = [str(e.payload) for e in session.exec(select(Event)).all()]
        rows = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.recipient) == email.lower())
        ).all()
    assert rows[-1].channel == "email"
    assert not [p for p in payloads if code in p or email in p]
