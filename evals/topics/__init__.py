"""Evaluation of the safety-topic flags: cross-validated on the exemplars, and on held-out sets.

`heldout.yaml`, `fresh.yaml`, `fresh2.yaml` and `fresh3.yaml` (development sets: their misses were
studied) and `fresh4.yaml` (the held-out test set, only measured) are written apart from the
exemplars and are never used to train or calibrate.
"""

from evals.topics.runner import (
    FRESH2_PATH,
    FRESH3_PATH,
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
    "FRESH2_PATH",
    "FRESH3_PATH",
    "FRESH_PATH",
    "HELDOUT_PATH",
    "TEST_PATH",
    "HeldOut",
    "TopicEvalReport",
    "evaluate_heldout",
    "evaluate_training",
    "load_heldout",
]
