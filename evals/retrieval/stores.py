"""The knowledge sets the retrieval evaluation runs on: the demo store and a second store.

The demo store's knowledge is a directory in the repository. The second store (Fjord & Pine
Outfitters) is worded differently on purpose; its documents are written by the test fixtures
(`evals/stores/second.py`), so the evaluation writes them into a scratch directory instead
of keeping a copy that could drift. Its questions (`second_store_heldout.jsonl`) were written
without looking at the agent tests' phrasings, so tuning on them is tuning on unseen wording.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from evals.retrieval.dataset import QUESTIONS_PATH

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO_KNOWLEDGE = PROJECT_ROOT / "stores" / "demo" / "knowledge"
SECOND_STORE_QUESTIONS = Path(__file__).with_name("second_store_heldout.jsonl")

StoreName = Literal["demo", "second"]
STORES: tuple[StoreName, ...] = ("demo", "second")


@dataclass(frozen=True)
class EvalStore:
    """A knowledge directory and the labelled questions about it."""

    name: StoreName
    knowledge_dir: Path
    questions: Path
    bitext: bool
    """The Bitext intents map to the demo store's documents only."""


def second_store_documents() -> dict[str, str]:
    """File name -> Markdown of the second store's knowledge, as the agent tests write it."""
    from evals.stores.second import KNOWLEDGE

    return dict(KNOWLEDGE)


def write_second_store_knowledge(directory: Path) -> Path:
    """Write the second store's knowledge files into `directory` (created) and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in second_store_documents().items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


@contextlib.contextmanager
def eval_store(name: StoreName) -> Iterator[EvalStore]:
    """The named store, its knowledge on disk for as long as the context is open."""
    if name == "demo":
        yield EvalStore("demo", DEMO_KNOWLEDGE, QUESTIONS_PATH, bitext=True)
        return
    if name != "second":
        raise ValueError(f"unknown store {name!r}; use one of {', '.join(STORES)}")
    with tempfile.TemporaryDirectory(prefix="threadline-second-store-") as scratch:
        knowledge = write_second_store_knowledge(Path(scratch) / "knowledge")
        yield EvalStore("second", knowledge, SECOND_STORE_QUESTIONS, bitext=False)
