"""Recall@k and MRR over ranked passage ids (or documents, for the Bitext run)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CUTOFFS = (1, 3, 5)


@dataclass(frozen=True)
class MethodScores:
    """Averages over the questions scored."""

    recall: dict[int, float]
    """k -> mean fraction of a question's needs met by the top k."""
    mrr: float
    """Mean reciprocal rank of the first relevant result (0 when none in the list)."""
    count: int


def recall_at(ranked: Sequence[str], needs: Sequence[frozenset[str]], k: int) -> float:
    """Fraction of `needs` with at least one id in the first `k` results."""
    top = set(ranked[:k])
    return sum(1 for need in needs if need & top) / len(needs)


def reciprocal_rank(ranked: Sequence[str], needs: Sequence[frozenset[str]]) -> float:
    """1 / rank of the first result that meets any need."""
    relevant = frozenset().union(*needs)
    for rank, item in enumerate(ranked, start=1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


def score_rankings(
    rankings: Sequence[Sequence[str]], needs: Sequence[Sequence[frozenset[str]]]
) -> MethodScores:
    """Average recall@1/3/5 and MRR for parallel lists of rankings and labels."""
    if not rankings:
        return MethodScores({k: 0.0 for k in CUTOFFS}, 0.0, 0)
    count = len(rankings)
    recall = {
        k: sum(recall_at(r, n, k) for r, n in zip(rankings, needs, strict=True)) / count
        for k in CUTOFFS
    }
    mrr = sum(reciprocal_rank(r, n) for r, n in zip(rankings, needs, strict=True)) / count
    return MethodScores(recall, mrr, count)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]
