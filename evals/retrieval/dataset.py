"""The labelled question set (`questions.jsonl`).

Each line: `{"id", "question", "relevant", "tags"}`. `relevant` lists the information needs of the
message; a need is one passage id, or several joined by `|` when any of them answers it. A message
with two questions has two needs. An empty list marks a question the knowledge cannot answer
(used to calibrate the answerability threshold, not for recall).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

QUESTIONS_PATH = Path(__file__).with_name("questions.jsonl")


@dataclass(frozen=True)
class Question:
    """One labelled customer message."""

    id: str
    text: str
    needs: tuple[frozenset[str], ...]
    """Each need is satisfied by any one of its passage ids."""
    tags: tuple[str, ...] = field(default=())

    @property
    def answerable(self) -> bool:
        """False for out-of-scope questions (no passage answers them)."""
        return bool(self.needs)

    @property
    def relevant_ids(self) -> frozenset[str]:
        """Every passage id that satisfies some need."""
        return frozenset().union(*self.needs) if self.needs else frozenset()


def load_questions(path: Path = QUESTIONS_PATH) -> list[Question]:
    """Parse the JSONL file, failing loudly on a malformed line."""
    questions: list[Question] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            needs = tuple(frozenset(need.split("|")) for need in row["relevant"])
            questions.append(
                Question(row["id"], row["question"], needs, tuple(row.get("tags", ())))
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{path}:{number}: bad question line: {error}") from error
    return questions
