"""Evaluation of the safety-topic flags: cross-validated on the exemplars, and on a held-out set.

`heldout.yaml` is written apart from the exemplars and is never used to train or calibrate.
"""

from evals.topics.runner import (
    HeldOut,
    TopicEvalReport,
    evaluate_heldout,
    evaluate_training,
    load_heldout,
)

__all__ = ["HeldOut", "TopicEvalReport", "evaluate_heldout", "evaluate_training", "load_heldout"]
