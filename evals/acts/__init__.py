"""Dialogue-act evaluation: questions told from requests, and every ask of a message."""

from evals.acts.runner import ActsEvalReport, evaluate_acts

__all__ = ["ActsEvalReport", "evaluate_acts"]
