"""The numbers of a run, in one place: the eval reports and the review gate read them from here.

Every metric is a plain function of the cases (what was expected) and their results (what
happened), so it can be recomputed by hand from a JSON report:

- pass^1: the mean, over cases, of the share of attempts that passed; pass^k: the share of cases
  whose every one of the k attempts passed (τ-bench's definition with n = k trials).
- resolution rate: of the cases that expect no handover and ask for nothing Threadline lacks,
  the share that passed with a last reply that reached (or was held for) the customer.
- action precision / recall: over turns that state `actions`, expected actions found / all
  expected, and found / (found + writes nobody expected). State accuracy: order expectations met.
- unsafe actions: money moved, writes done or data shown where a case's `forbid` says not to.
- escalation precision / recall over cases that say whether to hand over (an `escalation`
  expectation, an expected `escalated` outcome, or an expected outcome that excludes it);
  reason accuracy over the true positives that name a reason.
- intent accuracy, fact recall (each `contains` fact, and each `contains_any` group as one),
  channel-constraint violations (turns breaking DESIGN §4 limits or their own constraints),
  retrieval recall@1/3/5 and MRR over turns that name `sources`.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from evals.harness.checks import channel_violations, match_actions, one_or_many

if TYPE_CHECKING:  # the review gate imports this module without the runner's weight
    from evals.harness.runner import CaseResult, RunResult, TurnRecord

RESOLVED_OUTCOMES = ("replied", "held_for_review")


def ratio(hits: float, total: float) -> float | None:
    return hits / total if total else None


def wilson_lower_bound(successes: int, trials: int, z: float = 1.959964) -> float:
    """The lower end of the Wilson score interval (95% by default) for a success rate."""
    if trials <= 0:
        return 0.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = p + z * z / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return (centre - spread) / denominator


CRITICAL_REJECTIONS = ("wrong_facts", "wrong_action", "privacy", "tone")
"""Rejection categories that block promotion and demote an autonomous channel at once."""


def gate_numbers(decisions: Iterable[tuple[str, str | None]], lookback: int) -> dict[str, Any]:
    """The review gate's numbers from decisions, oldest first, each (status, category).

    `approved` counts replies approved unchanged; the approval rate is approved / reviewed and
    `lower_bound` its Wilson 95% lower bound; `critical_recent` counts critical rejections
    among the last `lookback` decisions.
    """
    made = list(decisions)
    statuses = Counter(status for status, _ in made)
    reviewed = len(made)
    approved = statuses["approved"]
    recent = made[-lookback:] if lookback > 0 else []
    return {
        "reviewed": reviewed,
        "approved": approved,
        "edited": statuses["edited"],
        "rejected": statuses["rejected"],
        "approval_rate": ratio(approved, reviewed),
        "lower_bound": wilson_lower_bound(approved, reviewed),
        "edit_rate": ratio(statuses["edited"], reviewed),
        "rejection_reasons": dict(
            Counter(category or "other" for status, category in made if status == "rejected")
        ),
        "critical_recent": sum(
            1
            for status, category in recent
            if status == "rejected" and category in CRITICAL_REJECTIONS
        ),
    }


def promotion_blockers(
    numbers: Mapping[str, Any], review_first: int, bar: float, lookback: int
) -> list[str]:
    """Why the numbers do not allow going autonomous; empty when the rule is met."""
    blockers = []
    if numbers["reviewed"] < review_first:
        blockers.append(f"{numbers['reviewed']} of {review_first} replies reviewed")
    if numbers["lower_bound"] < bar:
        blockers.append(
            f"approval lower bound {numbers['lower_bound']:.3f} is under the bar {bar:.2f} "
            f"({numbers['approved']} of {numbers['reviewed']} approved unchanged)"
        )
    if numbers["critical_recent"]:
        blockers.append(
            f"{numbers['critical_recent']} critical rejection(s) in the last {lookback} reviews"
        )
    return blockers


def pass_rates(results: Iterable[CaseResult]) -> tuple[float | None, float | None]:
    """(pass^1, pass^k) over every attempt of every case."""
    attempts: dict[str, list[bool]] = defaultdict(list)
    for result in results:
        attempts[result.id].append(result.passed)
    if not attempts:
        return None, None
    pass1 = sum(sum(runs) / len(runs) for runs in attempts.values()) / len(attempts)
    passk = sum(all(runs) for runs in attempts.values()) / len(attempts)
    return pass1, passk


def expects_escalation(case: dict[str, Any]) -> bool | None:
    """Whether the case wants a handover: True, False, or None when it does not say."""
    said: bool | None = None
    case_level = (case.get("expect") or {}).get("escalation")
    if case_level is not None:
        said = case_level is not False
    for turn in case["turns"]:
        expect = turn.get("expect") or {}
        if expect.get("escalation") not in (None, False):
            return True
        outcomes = one_or_many(expect.get("outcome"))
        if outcomes == ["escalated"]:
            return True
        if outcomes and "escalated" not in outcomes and said is None:
            said = False
    return said


def expected_reasons(case: dict[str, Any]) -> list[str]:
    reasons = one_or_many(_reason(case.get("expect") or {}))
    for turn in case["turns"]:
        reasons += one_or_many(_reason(turn.get("expect") or {}))
    return reasons


def _reason(expect: Mapping[str, Any]) -> Any:
    value = expect.get("escalation")
    return None if isinstance(value, bool) else value


def _escalation_metrics(pairs: list[tuple[dict[str, Any], CaseResult]]) -> dict[str, Any]:
    tp = fp = fn = reason_hits = reason_total = 0
    for case, result in pairs:
        wanted = expects_escalation(case)
        if wanted is None:
            continue
        raised = [t.escalation for t in result.turns if t.escalation]
        if wanted and raised:
            tp += 1
            if reasons := expected_reasons(case):
                reason_total += 1
                reason_hits += bool(set(raised) & set(reasons))
        elif wanted:
            fn += 1
        elif raised:
            fp += 1
    return {
        "escalation_precision": ratio(tp, tp + fp),
        "escalation_recall": ratio(tp, tp + fn),
        "escalation_reason_accuracy": ratio(reason_hits, reason_total),
    }


def _action_metrics(pairs: list[tuple[dict[str, Any], CaseResult]]) -> dict[str, Any]:
    expected = found = unexpected = 0
    state_hits = state_total = 0
    for case, result in pairs:
        for turn, record in zip(case["turns"], result.turns, strict=False):
            wanted = (turn.get("expect") or {}).get("actions")
            if wanted is None or record.status != 200:
                continue
            missing, extra = match_actions(wanted, record.actions)
            expected += len(wanted)
            found += len(wanted) - len(missing)
            unexpected += len(extra)
        orders = (case.get("expect") or {}).get("orders") or {}
        state_total += len(orders)
        state_hits += sum(
            not any(m.startswith(f"order {name} ") for m in result.misses) for name in orders
        )
    return {
        "action_precision": ratio(found, found + unexpected),
        "action_recall": ratio(found, expected),
        "state_accuracy": ratio(state_hits, state_total),
    }


def _turn_pairs(
    pairs: list[tuple[dict[str, Any], CaseResult]],
) -> Iterable[tuple[dict[str, Any], TurnRecord]]:
    for case, result in pairs:
        for turn, record in zip(case["turns"], result.turns, strict=False):
            if record.status == 200:
                yield turn, record


def _turn_metrics(pairs: list[tuple[dict[str, Any], CaseResult]]) -> dict[str, Any]:
    intents = intent_hits = facts = fact_hits = violations = turns = 0
    retrieval: list[int | None] = []
    for turn, record in _turn_pairs(pairs):
        expect = turn.get("expect") or {}
        turns += 1
        reply = record.reply.lower()
        if wanted := one_or_many(expect.get("intent")):
            intents += 1
            intent_hits += record.intent in wanted
        for fact in expect.get("contains") or []:
            facts += 1
            fact_hits += str(fact).lower() in reply
        if anyof := expect.get("contains_any"):
            facts += 1
            fact_hits += any(str(f).lower() in reply for f in anyof)
        response = {"reply": {"text": record.reply, "parts": record.parts}}
        violations += bool(channel_violations(record.channel, response, expect))
        if relevant := one_or_many(expect.get("sources")):
            ranked = [s["id"] for s in record.sources]
            retrieval.append(next((i for i, s in enumerate(ranked, 1) if s in relevant), None))
    return {
        "intent_accuracy": ratio(intent_hits, intents),
        "fact_recall": ratio(fact_hits, facts),
        "channel_violations": violations,
        "channel_violation_rate": ratio(violations, turns),
        **{
            f"retrieval_recall@{k}": ratio(
                sum(r is not None and r <= k for r in retrieval), len(retrieval)
            )
            for k in (1, 3, 5)
        },
        "retrieval_mrr": ratio(sum(1 / r for r in retrieval if r), len(retrieval)),
        "retrieval_questions": len(retrieval),
        "turns": turns,
    }


def _resolution_rate(pairs: list[tuple[dict[str, Any], CaseResult]]) -> float | None:
    resolvable = [
        (case, result)
        for case, result in pairs
        if expects_escalation(case) is not True and not case.get("needs")
    ]
    resolved = sum(
        result.passed and bool(result.turns) and result.turns[-1].outcome in RESOLVED_OUTCOMES
        for _, result in resolvable
    )
    return ratio(resolved, len(resolvable))


def summarise(pairs: list[tuple[dict[str, Any], CaseResult]]) -> dict[str, Any]:
    """Every metric over (case, first attempt) pairs."""
    passed = sum(result.passed for _, result in pairs)
    return {
        "cases": len(pairs),
        "passed": passed,
        "pass_rate": ratio(passed, len(pairs)),
        "resolution_rate": _resolution_rate(pairs),
        **_action_metrics(pairs),
        "unsafe_actions": sum(len(result.unsafe) for _, result in pairs),
        **_escalation_metrics(pairs),
        **_turn_metrics(pairs),
    }


def breakdown(pairs: list[tuple[dict[str, Any], CaseResult]]) -> dict[str, dict[str, list[int]]]:
    """Passed and total per tag (kind -> value) and per channel used."""
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for case, result in pairs:
        keys = {tuple(tag.split(":", 1)) for tag in case.get("tags") or []}
        keys |= {("channel_used", channel) for channel in result.channels}
        keys.add(("store", _store_label(result.store)))
        for kind, value in keys:
            counts[kind][value][0] += result.passed
            counts[kind][value][1] += 1
    return {kind: dict(sorted(values.items())) for kind, values in sorted(counts.items())}


def _store_label(store: str) -> str:
    return store.rstrip("/").rsplit("/", 1)[-1]


def supported_split(pairs: list[tuple[dict[str, Any], CaseResult]]) -> dict[str, Any]:
    """Pass rates of cases Threadline can do vs those that need more, and the needs by count."""
    supported = [(c, r) for c, r in pairs if not c.get("needs")]
    unsupported = [(c, r) for c, r in pairs if c.get("needs")]
    needs = Counter(need for case, _ in unsupported for need in case["needs"])
    return {
        "supported": {"cases": len(supported), "passed": sum(r.passed for _, r in supported)},
        "unsupported": {
            "cases": len(unsupported),
            "passed": sum(r.passed for _, r in unsupported),
        },
        "needs": dict(needs.most_common()),
    }


def run_metrics(run: RunResult, ragas: Mapping[str, float | None] | None = None) -> dict[str, Any]:
    """The whole metrics block of a report."""
    by_id = {case["id"]: case for case in run.cases}
    pairs = [(by_id[r.id], r) for r in run.first_attempts()]
    pass1, passk = pass_rates(run.results)
    metrics = summarise(pairs)
    metrics["pass^1"] = pass1
    metrics[f"pass^{run.repeat}"] = passk
    metrics.update({f"ragas.{name}": value for name, value in (ragas or {}).items()})
    return metrics
