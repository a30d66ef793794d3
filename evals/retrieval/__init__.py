"""Retrieval evaluation: labelled customer questions against the demo store's knowledge.

Run with `python -m evals.retrieval` or `threadline knowledge eval`; see the README (Knowledge).
"""

from evals.retrieval.dataset import Question, load_questions
from evals.retrieval.metrics import MethodScores, score_rankings
from evals.retrieval.runner import EvalReport, run_evaluation

__all__ = [
    "EvalReport",
    "MethodScores",
    "Question",
    "load_questions",
    "run_evaluation",
    "score_rankings",
]
