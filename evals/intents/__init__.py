"""Intent-classification evaluation on the Bitext customer-support utterances."""

from evals.intents.runner import IntentEvalReport, evaluate_intents

__all__ = ["IntentEvalReport", "evaluate_intents"]
