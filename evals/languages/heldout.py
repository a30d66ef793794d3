"""`python -m evals.languages.heldout`: the held-out set in five languages (`heldout.yaml`).

Written apart from the glossaries, the dev set and every training example (see its header).
Per language: detection, the accuracy of the intent the agent acts on (routing's
`effective_intent` over the message's asks, as for a first message), and for knowledge questions
recall@3 of the search the agent runs (the message's English view) on the store it is about.
"""

from __future__ import annotations

import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from agent.nodes.understand import as_state
from agent.routing import effective_intent
from agent.understanding import understand
from evals.retrieval.stores import STORES, eval_store
from knowledge import KnowledgeBase

HELDOUT_PATH = Path(__file__).with_name("heldout.yaml")
FRESH2_PATH = Path(__file__).with_name("fresh2.yaml")
"""A development set since its misses were studied (it was the test set before)."""
TEST_PATH = Path(__file__).with_name("fresh3.yaml")
"""The test set: written by another hand after `fresh2.yaml`'s misses were studied (which made
that a development set too); only measured, its misses never printed."""
SETS = {"heldout": HELDOUT_PATH, "fresh2": FRESH2_PATH, "fresh3": TEST_PATH}


@dataclass
class LanguageScore:
    messages: int = 0
    detected: int = 0
    intents: int = 0
    questions: int = 0
    found: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def detection(self) -> float:
        return self.detected / self.messages if self.messages else 0.0

    @property
    def intent_accuracy(self) -> float:
        return self.intents / self.messages if self.messages else 0.0

    @property
    def recall_at_3(self) -> float:
        return self.found / self.questions if self.questions else 0.0


def load_heldout(path: Path = HELDOUT_PATH) -> list[dict[str, Any]]:
    utterances = yaml.safe_load(path.read_text("utf-8"))["utterances"]
    assert isinstance(utterances, list)
    return utterances


def evaluate_heldout(
    utterances: list[dict[str, Any]] | None = None, path: Path = HELDOUT_PATH
) -> dict[str, LanguageScore]:
    """Scores per language, plus `all` over every utterance."""
    utterances = load_heldout(path) if utterances is None else utterances
    scores: dict[str, LanguageScore] = defaultdict(LanguageScore)
    with tempfile.TemporaryDirectory(prefix="threadline-lang-eval-") as scratch:
        for store in STORES:
            mine = [u for u in utterances if u.get("store", "demo") == store]
            if not mine:
                continue
            with eval_store(store) as source:
                kb = KnowledgeBase.open(Path(scratch) / store)
                kb.ingest(source.knowledge_dir)
                for utterance in mine:
                    _score(utterance, kb, scores[utterance["lang"]], scores["all"])
    return dict(scores)


def acted_intent(text: str) -> tuple[str, Any]:
    """The intent the agent acts on for a first message (the asks decide, as in routing: "how
    many days do I have to return?" is a question for the knowledge store), and the
    understanding."""
    result = understand(text)
    intent, _ = effective_intent(
        {"understanding": as_state(result, text), "message": {"text": text}}
    )
    return intent, result


def _score(utterance: dict[str, Any], kb: KnowledgeBase, *totals: LanguageScore) -> None:
    intent, result = acted_intent(utterance["text"])
    detected = result.language == utterance["lang"]
    right = intent == utterance["intent"] or intent in (utterance.get("also") or [])
    relevant = set(utterance.get("relevant") or [])
    found = False
    if relevant:
        ranked = kb.search(result.search_text or utterance["text"], k=3).ids
        found = bool(relevant & set(ranked))
    for score in totals:
        score.messages += 1
        score.detected += detected
        score.intents += right
        if relevant:
            score.questions += 1
            score.found += found
        if not right or (relevant and not found):
            score.misses.append(
                f"{utterance['id']}: {utterance['text']!r} -> {intent} "
                f"(want {utterance['intent']}){'' if not relevant or found else ', passage missed'}"
            )


def main() -> None:
    """`python -m evals.languages.heldout [heldout|fresh2|fresh3]` (the test set's misses stay
    unshown)."""
    name = sys.argv[1] if len(sys.argv) > 1 else "heldout"
    say = Console(highlight=False).print
    scores = evaluate_heldout(path=SETS[name])
    say(f"{'language':10} {'n':>4} {'detected':>9} {'intent':>7} {'recall@3':>9}")
    for language in sorted(scores, key=lambda k: (k == "all", k)):
        s = scores[language]
        say(
            f"{language:10} {s.messages:4d} {s.detection:9.3f} {s.intent_accuracy:7.3f} "
            f"{s.recall_at_3:9.3f} (of {s.questions})"
        )
    if SETS[name] != TEST_PATH:
        for miss in scores["all"].misses:
            say(f"  miss {miss}", markup=False)


if __name__ == "__main__":
    main()
