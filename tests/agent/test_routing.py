"""The conversation policy, rule by rule."""

from typing import Any

import pytest

from agent.routing import asks_about_team, decide
from tools.policy import StorePolicy

POLICY = StorePolicy()


def state(intent: str = "track_order", confidence: float = 0.9, **extra: Any) -> dict[str, Any]:
    understanding = {
        "intent": intent,
        "confidence": confidence,
        "low_confidence": extra.pop("low", False),
        "flags": extra.pop("flags", []),
        "frustration": extra.pop("frustration", 0.0),
        "entities": extra.pop("entities", {}),
        "is_confirmation": extra.pop("yes", False),
        "is_denial": extra.pop("no", False),
        "asks": extra.pop("asks", []),
    }
    return {"understanding": understanding, **extra}


PENDING = {
    "id": "p1",
    "tool": "cancel_order",
    "args": {"order": "#1"},
    "summary": "cancel",
    "channel": "chat",
    "proposed_at": "2026-11-20T10:00:00+00:00",
}


@pytest.mark.parametrize(
    ("flag", "code", "priority"),
    [
        ("legal_threat", "legal", "high"),
        ("chargeback", "chargeback", "high"),
        ("self_harm", "self_harm", "urgent"),
        ("harassment", "harassment", "high"),
    ],
)
def test_safety_topics_escalate(flag: str, code: str, priority: str) -> None:
    decision = decide(state(flags=[flag]), POLICY)
    assert decision.route == "escalate"
    assert decision.escalation == {
        "code": code,
        "message": decision.escalation["message"],  # type: ignore[index]
        "priority": priority,
    }


def test_a_topic_the_store_left_out_does_not_escalate() -> None:
    policy = StorePolicy.model_validate({"escalation": {"topics": ["legal"]}})
    assert decide(state(flags=["chargeback"]), policy).route == "act"


def test_prompt_injection_beats_everything_and_clears_nothing_into_action() -> None:
    decision = decide(
        state(
            "refund_request",
            flags=["prompt_injection", "legal_threat"],
            pending_action=PENDING,
            yes=True,
        ),
        POLICY,
    )
    assert (decision.route, decision.situation) == ("respond", "injection")


def test_a_pending_action_runs_only_on_an_explicit_yes() -> None:
    assert decide(state("confirm", yes=True, pending_action=PENDING), POLICY).situation == (
        "execute_pending"
    )
    assert decide(state("deny", no=True, pending_action=PENDING), POLICY).situation == "declined"
    assert decide(state("confirm", yes=True), POLICY).situation == "nothing_pending"


def test_low_confidence_asks_once_then_escalates() -> None:
    assert decide(state(low=True), POLICY).route == "ask"
    # unsure between policy topics: retrieval's own threshold decides
    assert decide(state("policy_question", low=True), POLICY).route == "retrieve"
    second = decide(state(low=True, low_confidence_streak=1), POLICY)
    assert second.route == "escalate" and second.escalation["code"] == "low_confidence"  # type: ignore[index]


def test_too_many_unresolved_turns_escalate() -> None:
    turns = POLICY.escalation.max_ai_turns
    assert decide(state(unresolved_turns=turns - 1), POLICY).route == "act"
    assert decide(state(unresolved_turns=turns), POLICY).escalation["code"] == "max_ai_turns"  # type: ignore[index]


def test_strong_frustration_and_requests_for_a_human_escalate() -> None:
    assert decide(state(frustration=0.9), POLICY).escalation["code"] == "frustration"  # type: ignore[index]
    assert decide(state("human_agent"), POLICY).escalation["code"] == "customer_request"  # type: ignore[index]


def test_a_follow_up_that_supplies_the_order_continues_the_open_issue() -> None:
    issue = {
        "intent": "damaged_item",
        "channel": "instagram",
        "order": None,
        "item": "hoodie",
        "raised_at": "2026-11-20T10:00:00+00:00",
    }
    decision = decide(
        state("order_details", low=True, open_issue=issue, entities={"order_names": ["#1042"]}),
        POLICY,
    )
    assert (decision.route, decision.intent) == ("act", "damaged_item")
    # without anything supplied, a new intent is a new topic
    fresh = decide(state("delivery_options", open_issue=issue), POLICY)
    assert (fresh.route, fresh.intent) == ("retrieve", "delivery_options")


def test_an_escalated_case_gets_holding_replies() -> None:
    assert decide(state(escalated=True), POLICY).situation == "already_escalated"


@pytest.mark.parametrize(
    ("intent", "route"),
    [
        ("policy_question", "retrieve"),
        ("delivery_options", "retrieve"),
        ("cancel_order", "act"),
        ("refund_status", "act"),
        ("greeting", "respond"),
        ("out_of_scope", "retrieve"),  # out of scope only when knowledge has nothing either
    ],
)
def test_intents_route_to_their_step(intent: str, route: str) -> None:
    assert decide(state(intent), POLICY).route == route


def test_a_proposal_lapses_after_a_day() -> None:
    from agent.routing import pending_lapsed

    proposed = {**PENDING, "proposed_at": "2026-11-20T10:00:00+00:00"}
    assert not pending_lapsed(proposed, "2026-11-21T09:59:00+00:00")
    assert pending_lapsed(proposed, "2026-11-21T10:01:00+00:00")
    assert pending_lapsed({**PENDING, "proposed_at": "garbage"}, "2026-11-21T10:01:00+00:00")
    assert not pending_lapsed(None, "2026-11-21T10:01:00+00:00")


def test_a_complaint_about_a_named_order_looks_at_the_order() -> None:
    decision = decide(state("complaint", entities={"order_names": ["#9"]}), POLICY)
    assert (decision.route, decision.intent) == ("act", "complaint")


def test_a_delivery_time_question_about_the_order_under_discussion_tracks_it() -> None:
    about_it = state("delivery_options", active_order="#7", message={"text": "when will it arrive"})
    assert decide(about_it, POLICY).intent == "track_order"
    general = state(
        "delivery_options",
        active_order="#7",
        message={"text": "how long does it take to ship to Canada?"},
    )
    assert decide(general, POLICY).intent == "delivery_options"
    no_order = state("delivery_options", message={"text": "when will it arrive"})
    assert decide(no_order, POLICY).intent == "delivery_options"


def test_an_unsure_order_request_about_a_named_order_still_looks_at_it() -> None:
    named = state(
        "return_item",
        low=True,
        entities={"order_names": ["#T3"]},
        message={"text": "#T3 the boots, send them back i guess"},
    )
    assert (decide(named, POLICY).route, decide(named, POLICY).intent) == ("act", "return_item")
    unnamed = state("return_item", low=True, message={"text": "send them back i guess"})
    assert decide(unnamed, POLICY).route == "ask"


@pytest.mark.parametrize(
    ("intent", "low", "text"),
    [
        ("damaged_item", True, "typo on my part: 4108"),
        ("refund_request", True, "#4108 the boots"),
        ("out_of_scope", False, "what's in 1056"),
        ("discount_code", True, "can you check #4116 and #4104?"),
    ],
)
def test_a_named_order_with_nothing_clearer_to_do_is_read_not_acted_on(
    intent: str, low: bool, text: str
) -> None:
    named = state(intent, low=low, entities={"order_names": ["#4108"]}, message={"text": text})
    decision = decide(named, POLICY)
    assert (decision.route, decision.intent, decision.situation) == (
        "act",
        "order_details",
        "order_details",
    )


def ask(text: str, act: str, intent: str, topic: str | None = None, conf: float = 0.9) -> dict:
    return {
        "text": text,
        "act": act,
        "intent": intent,
        "topic_intent": topic,
        "confidence": conf,
        "low_confidence": conf < 0.5,
    }


def test_a_question_naming_an_action_is_answered_from_knowledge() -> None:
    asked = state(
        "return_item",
        0.45,
        low=True,
        asks=[
            ask(
                "what's the return policy, how many days?",
                "question",
                "policy_question",
                "return_item",
            )
        ],
    )
    decision = decide(asked, POLICY)
    assert decision.route == "retrieve" and decision.intent == "policy_question"


def test_a_question_naming_an_action_on_a_named_order_looks_at_that_order() -> None:
    asked = state(
        "policy_question",
        entities={"order_names": ["#7"]},
        asks=[ask("can I return #7?", "question", "policy_question", "return_item")],
    )
    assert decide(asked, POLICY).route == "act"


def test_an_order_request_leads_and_its_questions_are_kept_for_after() -> None:
    asked = state(
        "policy_question",
        asks=[
            ask("please cancel #7", "request", "cancel_order"),
            ask("how long do refunds take?", "question", "policy_question"),
        ],
    )
    decision = decide(asked, POLICY)
    assert (decision.route, decision.intent) == ("act", "cancel_order")
    assert [q["text"] for q in decision.questions] == ["how long do refunds take?"]


def test_an_unsure_report_does_not_lead_over_a_clear_question_about_the_order() -> None:
    asked = state(
        "damaged_item",
        asks=[
            ask("I ordered the tent for a trip", "report", "damaged_item", conf=0.55),
            ask("where is it now?", "question", "track_order"),
        ],
    )
    assert decide(asked, POLICY).intent == "track_order"


MATTER = {"code": "refund_above_limit", "order": "#7", "intent": "refund_request"}


@pytest.mark.parametrize(
    ("extra", "scope"),
    [
        ({"entities": {"order_names": ["#7"]}}, "join"),
        (
            {
                "entities": {"order_names": ["#9"]},
                "asks": [ask("cancel #9", "request", "cancel_order")],
            },
            "separate",
        ),
        ({"asks": [ask("do you ship to Norway?", "question", "delivery_options")]}, "separate"),
        ({"asks": [ask("any news on my refund?", "question", "refund_status")]}, "join"),
    ],
)
def test_a_persons_case_holds_only_its_own_matter(extra: dict[str, Any], scope: str) -> None:
    intent = (extra.get("asks") or [{"intent": "refund_request"}])[0]["intent"]
    text = " ".join(a["text"] for a in extra.get("asks") or []) or "about #7"
    message = {"text": text, "channel": "sms", "sent_at": "2026-11-20T10:00:00+00:00"}
    asked = state(intent, escalated=True, escalation_matter=MATTER, message=message, **extra)
    decision = decide(asked, POLICY)
    assert decision.case == scope
    assert (decision.situation == "already_escalated") == (scope == "join")


def test_after_a_safety_escalation_everything_joins_the_case() -> None:
    matter = {"code": "legal", "order": None, "intent": "complaint"}
    asked = state(
        "delivery_options",
        escalated=True,
        escalation_matter=matter,
        asks=[ask("do you ship to Norway?", "question", "delivery_options")],
    )
    assert decide(asked, POLICY).situation == "already_escalated"


@pytest.mark.parametrize(
    ("text", "about_team"),
    [
        ("what time of day can I get hold of an actual human?", True),
        ("is there a number I can ring?", True),
        ("are you open on bank holidays?", True),
        ("I want to talk to a real person", False),
        ("put me through to a manager", False),
    ],
)
def test_questions_about_reaching_the_team_are_told_from_wanting_a_person(
    text: str, about_team: bool
) -> None:
    assert asks_about_team(text) is about_team
