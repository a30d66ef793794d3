"""The ragas metrics that need no LLM, computed offline with ragas's own metric classes.

Which passages were retrieved (by id, and by text against the reference passages), whether the
reference answer appears in the reply, and how close the reply is in meaning to the reference,
using the project's MiniLM model. Nothing is downloaded: ragas's usage tracking is turned off
before ragas is imported, and none of these metrics tokenizes with nltk or tiktoken.

ragas is optional: without it `offline_scores` returns an empty dict and `llm_metrics_status`
says so, so the harness still runs.
"""

from __future__ import annotations

import asyncio
import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

# ragas reads this once, at first use, and otherwise posts usage events to its analytics host.
os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")

if TYPE_CHECKING:
    from ragas.embeddings.base import BaseRagasEmbedding

ID_CONTEXT_PRECISION = "id_based_context_precision"
ID_CONTEXT_RECALL = "id_based_context_recall"
NON_LLM_CONTEXT_RECALL = "non_llm_context_recall"
STRING_PRESENCE = "string_presence"
SEMANTIC_SIMILARITY = "semantic_similarity"
METRIC_NAMES = (
    ID_CONTEXT_PRECISION,
    ID_CONTEXT_RECALL,
    NON_LLM_CONTEXT_RECALL,
    STRING_PRESENCE,
    SEMANTIC_SIMILARITY,
)
"""The keys of `offline_scores`, in the order a report lists them."""

LLM_METRICS = "faithfulness, answer relevancy, context precision with an LLM"


@dataclass(frozen=True)
class RagasSample:
    """One answered question, in the terms ragas scores."""

    user_input: str
    """The customer's message."""
    response: str
    """The reply Threadline gave."""
    reference: str | None = None
    """The expected answer, or the phrase a correct reply must contain; None when unlabelled."""
    retrieved_context_ids: list[str] = field(default_factory=list)
    """Ids of the passages the reply was grounded on, best first."""
    reference_context_ids: list[str] = field(default_factory=list)
    """Ids of the passages that answer the question."""
    retrieved_contexts: list[str] = field(default_factory=list)
    """Texts of the retrieved passages."""
    reference_contexts: list[str] = field(default_factory=list)
    """Texts of the passages that answer the question."""


@cache
def ragas_available() -> bool:
    """True when ragas and the metric classes used here import."""
    try:
        import ragas.metrics.collections  # noqa: F401
    except ImportError:
        return False
    return True


def llm_metrics_status(llm_configured: bool) -> str:
    """The one line a report prints about the ragas metrics that need an LLM judge."""
    if not ragas_available():
        return "ragas is not installed: no ragas metrics were computed."
    if not llm_configured:
        return f"LLM-judged ragas metrics ({LLM_METRICS}) skipped: no LLM is configured."
    return (
        f"LLM-judged ragas metrics ({LLM_METRICS}) not computed: "
        "this harness scores only ragas's offline metrics."
    )


def offline_scores(samples: Sequence[RagasSample]) -> dict[str, float | None]:
    """Mean of each metric in `METRIC_NAMES` over the samples it applies to, None where none does.

    A metric applies to a sample that has what it compares: reference ids for the id-based
    recall (and retrieved ids too for precision, which ragas leaves undefined without them),
    reference and retrieved passage texts for the text-based recall, a non-empty reference for
    string presence and semantic similarity. Returns {} when ragas is not installed.

    Synchronous; it runs one event loop for all samples, so call it outside a running loop.
    """
    if not ragas_available():
        return {}
    with warnings.catch_warnings():
        # ragas stamps each metric call with an anonymous user id read from its data directory
        # through a file it never closes (nothing is sent while RAGAS_DO_NOT_TRACK is true).
        warnings.filterwarnings("ignore", r"unclosed file .*uuid\.json", ResourceWarning)
        return asyncio.run(_score(list(samples)))


async def _score(samples: list[RagasSample]) -> dict[str, float | None]:
    # The id-based and text-based context metrics have no home outside the deprecated
    # `ragas.metrics` namespace yet; importing them there warns, which tests turn into errors.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from ragas.metrics import (
            IDBasedContextPrecision,
            IDBasedContextRecall,
            NonLLMContextRecall,
        )
    from ragas import SingleTurnSample
    from ragas.metrics.collections import SemanticSimilarity, StringPresence

    id_precision, id_recall = IDBasedContextPrecision(), IDBasedContextRecall()
    text_recall = NonLLMContextRecall()
    presence = StringPresence()
    referenced = [s for s in samples if s.reference]
    similarity = SemanticSimilarity(
        embeddings=_batch_embedded([t for s in referenced for t in (s.reference or "", s.response)])
    )

    scores: dict[str, list[float]] = {name: [] for name in METRIC_NAMES}
    for sample in samples:
        if sample.reference_context_ids:
            ids = SingleTurnSample(
                retrieved_context_ids=list(sample.retrieved_context_ids),
                reference_context_ids=list(sample.reference_context_ids),
            )
            scores[ID_CONTEXT_RECALL].append(await id_recall.single_turn_ascore(ids))
            if sample.retrieved_context_ids:
                scores[ID_CONTEXT_PRECISION].append(await id_precision.single_turn_ascore(ids))
        if sample.reference_contexts and sample.retrieved_contexts:
            texts = SingleTurnSample(
                retrieved_contexts=list(sample.retrieved_contexts),
                reference_contexts=list(sample.reference_contexts),
            )
            scores[NON_LLM_CONTEXT_RECALL].append(await text_recall.single_turn_ascore(texts))
    for sample in referenced:
        reference = sample.reference or ""
        found = await presence.ascore(reference=reference, response=sample.response)
        scores[STRING_PRESENCE].append(float(found.value))
        close = await similarity.ascore(reference=reference, response=sample.response)
        scores[SEMANTIC_SIMILARITY].append(float(close.value))
    return {name: _mean(values) for name, values in scores.items()}


def _mean(values: list[float]) -> float | None:
    defined = [v for v in values if not math.isnan(v)]
    return sum(defined) / len(defined) if defined else None


def _batch_embedded(texts: list[str]) -> BaseRagasEmbedding:
    """ragas's view of the project's MiniLM model, with `texts` embedded up front in batches.

    ragas's SemanticSimilarity embeds one text per call; encoding every text of the run in one
    batched pass first is several times faster than that on CPU.
    """
    import numpy as np
    from ragas.embeddings.base import BaseRagasEmbedding

    from knowledge.embeddings import encode

    class MiniLMEmbedding(BaseRagasEmbedding):
        def __init__(self) -> None:
            super().__init__()
            self._vectors: dict[str, list[float]] = {}

        def embed_texts(self, texts: list[str], **kwargs: object) -> list[list[float]]:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
            rows = encode(missing) if missing else np.zeros((0, 0), dtype=np.float32)
            self._vectors.update(zip(missing, rows.tolist(), strict=True))
            return [self._vectors[t] for t in texts]

        def embed_text(self, text: str, **kwargs: object) -> list[float]:
            return self.embed_texts([text])[0]

        async def aembed_text(self, text: str, **kwargs: object) -> list[float]:
            return self.embed_text(text)

    embedding = MiniLMEmbedding()
    embedding.embed_texts(texts)
    return embedding
