"""Conversations, not single messages (issue 16): follow-ups, references to listed orders,
corrections and clarification answers, on the demo store and on the second store.

The wordings here are this file's own (the held-out exchanges in evals/conversations are measured
by `python -m evals.conversations`, never copied here). Orders and customers are picked by what
they are from each store's fixtures.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agent.composer import condense
from agent.dialogue import (
    Recall,
    apply,
    bare_numbers,
    coverage,
    in_context,
    only_an_order,
    recall_of,
    remember,
    resolve,
    stem,
)
from agent.nodes.retrieve import focused
from agent.routing import effective_intent
from evals.stores import second as fjord
from tests.agent import demo
from tests.agent.conftest import AgentApi, make_agent_api, vouched


@dataclass
class Store:
    name: str
    api: AgentApi
    orders: list[dict[str, Any]]

    def owners_with_two_orders(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """(email, orders) of customers with at least two orders whose items tell them apart."""
        by_email: dict[str, list[dict[str, Any]]] = {}
        for order in self.orders:
            email = demo.owner_email(order)
            if email and not order.get("cancelled_at"):
                by_email.setdefault(email.lower(), []).append(order)
        for email, orders in by_email.items():
            if len(orders) >= 2:
                yield email, orders


@pytest.fixture(scope="module", params=["demo", "second"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    root = tmp_path_factory.mktemp(f"dialogue-{request.param}")
    if request.param == "demo":
        for api in make_agent_api(root):
            yield Store("demo", api, demo.ORDERS)
    else:
        store_dir = fjord.write_second_store(root)
        for api in make_agent_api(root / "data", store_dir=store_dir, today=fjord.TODAY):
            yield Store("second", api, fjord.ORDERS)


def _words(order: dict[str, Any]) -> set[str]:
    return {
        w.rstrip("s")
        for line in order["line_items"]
        for w in re.findall(r"[a-z]{4,}", str(line["title"]).lower())
    }


def _distinct_word(order: dict[str, Any], others: list[dict[str, Any]]) -> str | None:
    """A word of one of the order's product titles that no other of the orders has."""
    theirs = set().union(*(_words(o) for o in others))
    mine = sorted(_words(order) - theirs - {"pack", "standard"})
    return mine[0] if mine else None


def _two_told_apart(store: Store, nth: int) -> tuple[str, dict[str, Any], dict[str, Any], str]:
    """The `nth` customer with two orders that a product word tells apart: (email, one order,
    the other, a word only the other has). Each test takes its own customer: a session
    remembers what earlier tests said."""
    found = 0
    for email, orders in store.owners_with_two_orders():
        for first in orders:
            for second in orders:
                word = _distinct_word(second, [first]) if second is not first else None
                if word and first["name"] != second["name"]:
                    if found == nth:
                        return email, first, second, word
                    found += 1
                    break
            else:
                continue
            break
    raise LookupError("not enough customers with two orders told apart by a product word")


# --- through the app, on both stores -------------------------------------------------------------


def test_a_follow_up_is_answered_in_the_light_of_the_question_before(store: Store) -> None:
    handle = f"fu-{store.name}"
    first = store.api.send("chat", "How do I send an item back to you?", handle=handle)
    assert first["outcome"] == "replied" and first["sources"]
    follow = store.api.send("chat", "and is that free?", handle=handle)
    assert follow["outcome"] == "replied", follow["reply"]
    assert follow["sources"], "the follow-up was answered from the knowledge store"
    assert any(re.search(r"return", s["id"]) for s in follow["sources"]), follow["sources"]
    assert "guess" not in follow["reply"]["text"]


def test_the_order_meant_by_a_product_word_after_a_listing(store: Store) -> None:
    email, other, meant, word = _two_told_apart(store, 0)
    handle = f"ref-{store.name}"
    listing = store.api.send(
        "chat", "which orders have I got with you?", handle=handle, **vouched(email)
    )
    assert meant["name"] in listing["reply"]["text"] and other["name"] in listing["reply"]["text"]
    picked = store.api.send(
        "chat", f"what's happening with the {word} one?", handle=handle, **vouched(email)
    )
    assert picked["intent"]["name"] in ("order_details", "track_order"), picked["intent"]
    assert meant["name"] in picked["reply"]["text"], picked["reply"]["text"]
    assert other["name"] not in picked["reply"]["text"]


def test_a_correction_switches_the_order_without_starting_over(store: Store) -> None:
    email, first, second, _ = _two_told_apart(store, 1)
    handle = f"co-{store.name}"
    asked = store.api.send(
        "chat", f"where is my order {first['name']}?", handle=handle, **vouched(email)
    )
    assert asked["intent"]["name"] == "track_order"
    number = second["name"].lstrip("#")
    corrected = store.api.send(
        "chat", f"oops, wrong one. I meant {number}", handle=handle, **vouched(email)
    )
    assert corrected["intent"]["name"] == "track_order"
    assert second["name"] in corrected["reply"]["text"]
    assert first["name"] not in corrected["reply"]["text"]


def test_a_clarification_answer_gets_the_original_question_answered(store: Store) -> None:
    handle = f"cl-{store.name}"
    store.api.send("chat", "refunds", handle=handle)
    answer = store.api.send(
        "chat", "it's just a general question, I haven't bought anything yet", handle=handle
    )
    assert answer["outcome"] == "replied"
    assert any("refund" in s["id"] for s in answer["sources"]), answer["sources"]


def test_references_follow_the_customer_to_another_channel(store: Store) -> None:
    email, first, second, _ = _two_told_apart(store, 2)
    newest = max((first, second), key=lambda o: str(o["created_at"]))
    oldest = first if newest is second else second
    store.api.send(
        "chat", "can you show me what I've ordered", handle=f"xc-{store.name}", **vouched(email)
    )
    by_email = store.api.send(
        "email", "The most recent one, has it been sent out yet?", email=email
    )
    assert newest["name"] in by_email["reply"]["text"], by_email["reply"]["text"]
    assert oldest["name"] not in by_email["reply"]["text"]


def test_a_no_to_a_waiting_proposal_stays_a_no(store: Store) -> None:
    """With a proposal waiting, "no" answers it: the dialogue rules never read it as a
    correction and run something else."""
    predicate = demo.cancellable if store.name == "demo" else fjord.cancellable_here
    order = demo.pick(predicate, store.api.used) if store.name == "demo" else fjord.find(predicate)
    email = demo.owner_email(order)
    ask = store.api.send("email", f"Please cancel order {order['name']}.", email=email)
    assert "YES" in ask["reply"]["text"]
    no = store.api.send("email", "no", email=email)
    assert no["actions"] == []
    assert store.api.order(order["name"], email=email)["cancelled_at"] is None


# --- the rules on their own ----------------------------------------------------------------------


def _reader(intent: str = "policy_question") -> Any:
    def read(text: str) -> dict[str, Any]:
        return {"intent": intent, "top": [{"intent": intent, "score": 0.9}], "entities": {}}

    return read


def _understood(intent: str, low: bool = False, **entities: Any) -> dict[str, Any]:
    return {
        "intent": intent,
        "confidence": 0.5 if low else 0.95,
        "low_confidence": low,
        "entities": {"order_names": [], **entities},
        "asks": [{"text": "", "act": "question", "intent": intent}],
        "top": [{"intent": intent, "score": 0.5}],
    }


LISTED: Recall = {
    "at": "2026-11-20T10:00:00+00:00",
    "intent": "order_details",
    "orders": [
        {"name": "#2001", "items": ["Ridge Tent - 2P"], "created_at": "2026-10-01T10:00:00Z"},
        {"name": "#2002", "items": ["Wool Socks - L / Blue"], "created_at": "2026-11-02T10:00:00Z"},
        {"name": "#2003", "items": ["Camp Mug"], "created_at": "2026-09-15T10:00:00Z"},
    ],
    "order": None,
}


@pytest.mark.parametrize(
    ("text", "order", "intent"),
    [
        ("the tent one please, where is it", "#2001", "track_order"),
        ("what about the socks?", "#2002", "order_details"),
        ("the blue one", "#2002", "order_details"),
        ("the second one", "#2002", "order_details"),
        ("the newest order - has it shipped", "#2002", "track_order"),
        ("the oldest one", "#2003", "order_details"),
        ("2003", "#2003", "order_details"),
    ],
)
def test_references_pick_the_listed_order(text: str, order: str, intent: str) -> None:
    resolution = resolve(LISTED, _understood("product_question", low=True), text, _reader())
    assert resolution is not None and resolution.kind == "reference"
    assert (resolution.order, resolution.intent) == (order, intent)


def test_a_reference_that_fits_two_orders_resolves_nothing() -> None:
    recall: Recall = {
        **LISTED,
        "orders": [
            {"name": "#1", "items": ["Trail Shoe"], "created_at": None},
            {"name": "#2", "items": ["Trail Shoe - Wide"], "created_at": None},
        ],
    }
    assert (
        resolve(recall, _understood("product_question", low=True), "the shoe one", _reader())
        is None
    )


def test_a_correction_keeps_what_was_asked_and_changes_which_order() -> None:
    recall: Recall = {**LISTED, "intent": "track_order", "order": "#2001"}
    resolution = resolve(recall, _understood("deny"), "no sorry, I meant 2003", _reader())
    assert resolution is not None and resolution.kind == "correction"
    assert (resolution.intent, resolution.order) == ("track_order", "#2003")
    # With a proposal waiting, the same words answer the proposal instead.
    assert (
        resolve(recall, _understood("deny"), "no sorry, I meant 2003", _reader(), pending=True)
        is None
    )


def test_a_follow_up_searches_with_the_topic_of_the_last_question() -> None:
    recall: Recall = {
        "at": "2026-11-20T10:00:00+00:00",
        "intent": "delivery_options",
        "question": "do you deliver to Norway?",
        "passages": ["shipping.md#countries"],
    }
    resolution = resolve(
        recall,
        _understood("delivery_options"),
        "and how long does it take?",
        _reader("delivery_options"),
    )
    assert resolution is not None and resolution.kind == "followup"
    assert resolution.search is not None and "norway" in resolution.search.lower()
    assert resolution.intent == "delivery_options"  # the topic goes on
    # A message with a topic of its own and nothing leaning back stands on its own.
    assert (
        resolve(
            recall,
            _understood("payment_problem"),
            "which cards do you take for payment at checkout",
            _reader(),
        )
        is None
    )


def test_the_recall_lapses_after_a_long_pause() -> None:
    state = {"dialogue": LISTED, "message": {"sent_at": "2026-11-21T10:00:00+00:00"}}
    assert recall_of(state) is None
    state["message"] = {"sent_at": "2026-11-20T11:00:00+00:00"}
    assert recall_of(state) == LISTED


def test_apply_gives_routing_one_ask_with_the_resolved_order() -> None:
    resolution = resolve(
        LISTED, _understood("product_question", low=True), "the tent one", _reader()
    )
    assert resolution is not None
    understood = apply(_understood("product_question", low=True), resolution, "the tent one")
    assert understood["intent"] == "order_details" and not understood["low_confidence"]
    assert understood["entities"]["order_names"] == ["#2001"]
    assert [a["act"] for a in understood["asks"]] == ["question"]
    assert understood["resolved"]["kind"] == "reference"


def test_bare_numbers_are_order_candidates_but_amounts_are_not() -> None:
    assert bare_numbers("it's 1092 I wanted") == ["#1092"]
    assert bare_numbers("#1092 and 1093") == ["#1092", "#1093"]
    assert bare_numbers("it cost $120 and took 14 days") == []
    assert bare_numbers("3.50 or 12") == []


def test_remember_keeps_listed_orders_and_the_question_answered() -> None:
    state = {
        "message": {"text": "show my orders", "sent_at": "2026-11-20T10:00:00+00:00"},
        "intent": "order_details",
        "situation": "ask_which_order",
        "orders": [{"name": "#1", "items": ["Tent"], "created_at": "2026-01-01"}],
        "understanding": {},
    }
    recall = remember(state)
    assert [o["name"] for o in recall["orders"]] == ["#1"] and recall["question"] is None
    answered = {
        "message": {"text": "and the fee?", "sent_at": "2026-11-20T10:05:00+00:00"},
        "dialogue": recall,
        "intent": "policy_question",
        "situation": "answer",
        "route": "retrieve",
        "search_text": "the fee? (returns)",
        "answers": [{"question": "x", "answerable": True, "passages": [{"id": "r.md#fee"}]}],
        "understanding": {},
    }
    later = remember(answered)
    assert later["question"] == "the fee? (returns)" and later["passages"] == ["r.md#fee"]
    assert [o["name"] for o in later["orders"]] == ["#1"], (
        "listed orders stay for a later reference"
    )


def test_a_follow_up_puts_the_passage_that_speaks_of_what_it_adds_first() -> None:
    passages = [
        {"id": "men", "score": 0.73, "heading": "Men's tops", "text": "Chest 38-40 in."},
        {"id": "women", "score": 0.54, "heading": "Women's clothing", "text": "Bust 36 in."},
        {"id": "feet", "score": 0.44, "heading": "Footwear", "text": "Half sizes."},
    ]
    assert focused(passages, ["women"])[0]["id"] == "women"
    # Nothing new to go by: the order of the search stands, the passage just quoted included.
    assert [p["id"] for p in focused(passages, [])] == ["men", "women", "feet"]
    # A word the passage already quoted speaks of keeps it first.
    quoted = [{**passages[0], "text": "Chest 38-40 in. Tall sizes too."}, passages[1]]
    assert focused(quoted, ["tall"])[0]["id"] == "men"


def test_the_sentence_that_speaks_of_the_follow_up_is_quoted() -> None:
    text = (
        "Standard takes 3 to 5 days and costs $6. Economy takes 7 days and costs $3. "
        "Express takes 2 days and costs $15. Overnight costs $30. Parcels are insured."
    )
    picked = condense(text, focus=["express"], limit=2)
    assert "Express takes 2 days" in picked
    assert (
        condense(text, limit=2)
        == "Standard takes 3 to 5 days and costs $6. Economy takes 7 days and costs $3."
    )


def test_stems_and_coverage_see_one_word_in_its_forms() -> None:
    assert stem("Saturdays") == stem("saturday") and stem("women's") == "women"
    assert coverage("Open on Saturday mornings", ["saturdays"]) == 1.0
    assert coverage("Open on weekdays", ["saturdays", "hours"]) == 0.0


RECALL_CARE: Recall = {
    "at": "2026-11-20T10:00:00+00:00",
    "intent": "human_agent",
    "question": "what time does your phone line open?",
    "passages": ["contact.md#phone"],
}


def test_a_follow_up_keeps_the_topic_and_knows_what_it_adds() -> None:
    resolution = resolve(
        RECALL_CARE, _understood("delivery_options"), "and on sundays?", _reader("delivery_options")
    )
    assert resolution is not None and resolution.kind == "followup"
    assert resolution.intent == "human_agent"  # still the phone line, not Sunday deliveries
    assert resolution.focus == ("sundays",)


def test_a_question_with_no_topic_of_its_own_leans_on_the_last_answer() -> None:
    resolution = resolve(
        RECALL_CARE,
        _understood("delivery_options"),
        "how long do I have to let you know?",
        _reader("delivery_options"),
    )
    assert resolution is not None and resolution.kind == "followup"
    assert "phone" in (resolution.search or "")


def test_a_message_unanswerable_alone_is_searched_again_with_the_last_topic() -> None:
    searched = in_context(RECALL_CARE, "so how do I get through to one?")
    assert "how do I get through to one?" in searched and "phone" in searched


def test_an_order_number_alone_continues_what_was_asked() -> None:
    assert only_an_order("#2003 sorry") and only_an_order("order 2003 pls")
    assert not only_an_order("where is 2003") and not only_an_order("no thanks")
    recall: Recall = {**LISTED, "intent": "track_order", "order": "#2001"}
    resolution = resolve(recall, _understood("order_details"), "2003 sorry", _reader())
    assert resolution is not None
    assert (resolution.kind, resolution.intent, resolution.order) == (
        "correction",
        "track_order",
        "#2003",
    )
    # Naming the same order again is the same matter, not a new one.
    same = resolve(recall, _understood("order_details"), "order 2001", _reader())
    assert same is not None and (same.intent, same.order) == ("track_order", "#2001")


def test_meant_and_my_other_order_correct_the_order() -> None:
    refunds: Recall = {**LISTED, "intent": "refund_status", "order": "#2001", "orders": []}
    meant = resolve(refunds, _understood("order_details"), "meant my order 2002", _reader())
    assert meant is not None and (meant.intent, meant.order) == ("refund_status", "#2002")
    two = [
        {"name": "#2001", "items": ["Ridge Tent"], "created_at": None},
        {"name": "#2002", "items": ["Camp Mug"], "created_at": None},
    ]
    other = resolve(
        refunds, _understood("order_details"), "ah no, my other order", _reader(), lambda: two
    )
    assert other is not None and other.order == "#2002"


@pytest.mark.parametrize(
    ("text", "order", "intent"),
    [
        ("sorry, not the tent - the socks", "#2002", "order_details"),
        ("right, cancel the socks one", "#2002", "cancel_order"),
        ("the mug order, what was in it again?", "#2003", "order_details"),
        ("and the tent one, how much did it come to?", "#2001", "order_details"),
    ],
)
def test_references_read_negations_actions_and_contents(text: str, order: str, intent: str) -> None:
    resolution = resolve(LISTED, _understood("confirm", low=True), text, _reader())
    assert resolution is not None and resolution.kind == "reference"
    assert (resolution.order, resolution.intent) == (order, intent)


def test_a_product_reference_finds_the_order_without_a_listing() -> None:
    before: Recall = {"at": "2026-11-20T10:00:00+00:00", "intent": "greeting", "orders": []}
    own = LISTED["orders"]
    resolution = resolve(
        before,
        _understood("product_question", low=True),
        "where's the one with the mug?",
        _reader(),
        lambda: own,
    )
    assert resolution is not None and (resolution.order, resolution.intent) == (
        "#2003",
        "track_order",
    )
    # After "what is this about?", the answer names its order by what is in it.
    clarifying: Recall = {**before, "clarify": "my stuff", "intent": "out_of_scope"}
    answer = resolve(
        clarifying,
        _understood("damaged_item"),
        "the tent order. has it been delivered?",
        _reader("damaged_item"),
        lambda: own,
    )
    assert answer is not None and (answer.order, answer.intent) == ("#2001", "track_order")


def test_a_request_to_see_ones_orders_is_not_a_clarifying_question() -> None:
    understanding = {**_understood("order_details", low=True), "asks": []}
    state = {"understanding": understanding, "message": {"text": "could you look up my orders"}}
    assert effective_intent(state) == ("order_details", False)
    state["message"] = {"text": "could you look up a thing"}
    assert effective_intent(state) == ("order_details", True)


def test_the_held_out_exchanges_exist_apart_from_these_tests() -> None:
    sets = Path(__file__).resolve().parents[2] / "evals" / "conversations"
    for name in ("followups.yaml", "fresh.yaml", "fresh2.yaml"):
        text = (sets / name).read_text("utf-8")
        for phrase in ("and is that free?", "what's happening with the", "oops, wrong one"):
            assert phrase not in text, f"{phrase!r} is in the held-out set {name}"


def test_an_order_number_after_a_question_about_cancelling_acts_on_that_order() -> None:
    recall: Recall = {
        "at": "2026-11-20T10:00:00+00:00",
        "intent": "policy_question",
        "question": "can orders still be cancelled after I pay?",
        "topic": "cancel_order",
    }
    resolution = resolve(recall, _understood("order_details"), "ok it's 2207 then", _reader())
    assert resolution is not None
    assert (resolution.intent, resolution.act, resolution.order) == (
        "cancel_order",
        "request",
        "#2207",
    )
    # Another request of its own is not taken for the order the question was about.
    assert resolve(recall, _understood("track_order"), "where is #2207?", _reader()) is None


@pytest.mark.parametrize(
    ("text", "own", "order", "intent"),
    [
        # a product named with a status question is no damage report, whatever the classifier says
        ("the mug, did that turn up yet", "damaged_item", "#2003", "track_order"),
        ("the socks - what did those cost me", "damaged_item", "#2002", "order_details"),
        ("the tent one, any news", "refund_request", "#2001", "track_order"),
        ("the latter please", "order_details", "#2003", "order_details"),
        ("the former", "order_details", "#2001", "order_details"),
        ("the newer of the two orders, what's in it", "order_details", "#2002", "order_details"),
    ],
)
def test_a_reference_takes_its_action_only_from_words_that_name_it(
    text: str, own: str, order: str, intent: str
) -> None:
    resolution = resolve(LISTED, _understood(own), text, _reader())
    assert resolution is not None and resolution.kind == "reference"
    assert (resolution.order, resolution.intent) == (order, intent)


@pytest.mark.parametrize(
    "text",
    [
        "make that 2002",
        "scratch that - 2002",
        "I mixed them up, 2002 is the one",
        "pardon, I meant #2002",
    ],
)
def test_more_ways_of_correcting_the_order(text: str) -> None:
    recall: Recall = {**LISTED, "intent": "track_order", "order": "#2001"}
    resolution = resolve(recall, _understood("out_of_scope", low=True), text, _reader())
    assert resolution is not None and resolution.kind == "correction"
    assert (resolution.intent, resolution.order) == ("track_order", "#2002")


def test_the_other_one_of_several_is_picked_by_its_product_and_starts_no_action() -> None:
    recall: Recall = {**LISTED, "intent": "track_order", "order": "#2001", "orders": []}
    resolution = resolve(
        recall,
        _understood("damaged_item"),
        "The other one actually. The mug.",
        _reader(),
        lambda: LISTED["orders"],
    )
    assert resolution is not None and resolution.kind == "correction"
    assert (resolution.intent, resolution.order) == ("track_order", "#2003")


def test_orders_the_customer_names_are_remembered_in_their_order() -> None:
    state = {
        "message": {"text": "can you check 2003 and 2001?", "sent_at": "2026-11-20T10:00:00Z"},
        "understanding": {"entities": {"order_names": ["#2003", "#2001"]}},
        "orders": [{"name": "#2001", "items": ["Ridge Tent"], "created_at": None}],
        "order": {"name": "#2003"},
    }
    recall = remember(state)
    assert [o["name"] for o in recall["orders"]] == ["#2003", "#2001"]
    assert recall["orders"][1]["items"] == ["Ridge Tent"]  # what was looked up is kept
    second = resolve(recall, _understood("order_details", low=True), "the second one?", _reader())
    assert second is not None and second.order == "#2001"
