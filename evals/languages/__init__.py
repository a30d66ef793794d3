"""Language detection and understanding in other languages, measured on sets written apart.

`dev.yaml` is the development set the glossaries and the detector's thresholds were tuned on;
`fresh.yaml` was written after them, in other words. `python -m evals.languages --path FILE`
measures any set in the same format.
"""

from evals.languages.runner import (
    DEV_PATH,
    FRESH_PATH,
    LanguageCase,
    LanguageEvalReport,
    evaluate_languages,
    load_cases,
)

__all__ = [
    "DEV_PATH",
    "FRESH_PATH",
    "LanguageCase",
    "LanguageEvalReport",
    "evaluate_languages",
    "load_cases",
]
