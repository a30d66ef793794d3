"""Evaluation of the safety-topic flags: cross-validated on the exemplars, and on held-out sets.

`heldout.yaml` and `fresh.yaml` (development sets: their misses were studied) and `fresh2.yaml`
(the held-out test set, only measured) are written apart from the exemplars and are never used to
train or calibrate.
"""

from evals.topics.runner import (
    FRESH_PATH,
    HELDOUT_PATH,
    TEST_PATH,
    HeldOut,
    TopicEvalReport,
    evaluate_heldout,
    evaluate_training,
    load_heldout,
)

__all__ = [
    "FRESH_PATH",
    "HELDOUT_PATH",
    "TEST_PATH",
    "HeldOut",
    "TopicEvalReport",
    "evaluate_heldout",
    "evaluate_training",
    "load_heldout",
]
