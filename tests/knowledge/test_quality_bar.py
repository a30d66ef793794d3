"""The retrieval quality bar on the whole labelled set: hybrid recall@3 >= 0.95, MRR >= 0.85,
and hybrid better than either method alone (so a change that breaks fusion fails CI)."""

import pytest

from evals.retrieval.dataset import load_questions
from evals.retrieval.metrics import score_rankings
from knowledge import KnowledgeBase


@pytest.mark.slow
def test_hybrid_meets_the_bar_and_beats_each_method(demo_kb: KnowledgeBase) -> None:
    questions = [q for q in load_questions() if q.answerable]
    assert len(questions) >= 150
    scores = {}
    for method in ("dense", "lexical", "hybrid"):
        results = demo_kb.search_many([q.text for q in questions], k=10, method=method)
        scores[method] = score_rankings([r.ids for r in results], [q.needs for q in questions])
    hybrid = scores["hybrid"]
    assert hybrid.recall[3] >= 0.95
    assert hybrid.mrr >= 0.85
    for single in ("dense", "lexical"):
        assert hybrid.mrr > scores[single].mrr
        assert hybrid.recall[3] > scores[single].recall[3]
