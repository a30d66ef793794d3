"""Evaluation of the safety-topic flags: cross-validated on the exemplars, and on held-out sets.

`heldout.yaml` (the development set) and `fresh.yaml` (the held-out set proper, when present)
are written apart from the exemplars and are never used to train or calibrate.
"""

from evals.topics.runner import (
    FRESH_PATH,
    HELDOUT_PATH,
    HeldOut,
    TopicEvalReport,
    evaluate_heldout,
    evaluate_training,
    load_heldout,
)

__all__ = [
    "FRESH_PATH",
    "HELDOUT_PATH",
    "HeldOut",
    "TopicEvalReport",
    "evaluate_heldout",
    "evaluate_training",
    "load_heldout",
]
