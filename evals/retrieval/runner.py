"""Run the retrieval evaluation: ingest, score three methods, time queries, calibrate.

Everything lands in one `EvalReport` (JSON-serializable with `dataclasses.asdict`); rendering
lives in `evals.retrieval.report`.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from evals.retrieval.bitext import bitext_csv, load_bitext
from evals.retrieval.dataset import QUESTIONS_PATH, Question, load_questions
from evals.retrieval.metrics import MethodScores, percentile, score_rankings
from evals.retrieval.stores import DEMO_KNOWLEDGE
from knowledge.embeddings import load_model
from knowledge.retrieval import METHODS, KnowledgeBase, Method
from knowledge.store import PassageStore, open_client

RANK_DEPTH = 10
SWEEP_LEXICAL_WEIGHT = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0)
SWEEP_RRF_K = (5, 20, 60)
SWEEP_PASSAGE_WEIGHT = (0.25, 0.4, 0.5, 0.75, 1.0)

Log = Callable[[str], None]


@dataclass
class ThresholdPoint:
    """How a confidence threshold splits in-scope from out-of-scope questions."""

    threshold: float
    in_scope_kept: float
    """Share of answerable questions that stay answerable."""
    out_of_scope_rejected: float
    """Share of out-of-scope questions flagged unanswerable."""


@dataclass
class EvalReport:
    """All measured numbers of one run."""

    questions: int
    out_of_scope: int
    methods: dict[str, MethodScores]
    by_tag: dict[str, dict[str, MethodScores]]
    latency_ms: dict[str, dict[str, float]]
    ingest: dict[str, float]
    thresholds: list[ThresholdPoint]
    chosen_threshold: float
    best_threshold: float
    answerability: ThresholdPoint
    """The split at the threshold in use: in-scope kept and out-of-scope rejected."""
    bitext: dict[str, MethodScores] | None = None
    bitext_note: str = ""
    sweep: list[dict[str, float | str]] = field(default_factory=list)


def run_evaluation(
    knowledge_dir: Path = DEMO_KNOWLEDGE,
    questions_path: Path = QUESTIONS_PATH,
    *,
    data_dir: Path | None = None,
    bitext_per_intent: int = 40,
    bitext: bool = True,
    sweep: bool = False,
    log: Log | None = None,
) -> EvalReport:
    """Evaluate retrieval over `knowledge_dir` in a fresh index (temporary unless `data_dir`).

    `bitext` adds the Bitext run, whose labels name the demo store's documents."""
    say = log or (lambda _message: None)
    questions = load_questions(questions_path)
    answerable = [q for q in questions if q.answerable]
    with tempfile.TemporaryDirectory(prefix="threadline-eval-") as scratch:
        load_model()
        kb = KnowledgeBase(PassageStore(open_client(data_dir or Path(scratch)), "kb-eval"))
        say(f"ingesting {knowledge_dir}")
        ingest = _measure_ingest(kb, knowledge_dir)
        methods: dict[str, MethodScores] = {}
        by_tag: dict[str, dict[str, MethodScores]] = {}
        for method in METHODS:
            say(f"scoring {method} on {len(answerable)} questions")
            rankings = _rankings(kb, answerable, method)
            methods[method] = score_rankings(rankings, [q.needs for q in answerable])
            by_tag[method] = _by_tag(answerable, rankings)
        say("timing single queries")
        latency: dict[str, dict[str, float]] = {
            m: _latency(kb, [q.text for q in questions], m) for m in METHODS
        }
        confidences = [r.confidence for r in kb.search_many([q.text for q in questions], k=1)]
        points = _threshold_curve(questions, confidences)
        current = _split_at(questions, confidences, kb.threshold)
        best = max(points, key=lambda p: (p.in_scope_kept + p.out_of_scope_rejected, -p.threshold))
        report = EvalReport(
            questions=len(answerable),
            out_of_scope=len(questions) - len(answerable),
            methods=methods,
            by_tag=by_tag,
            latency_ms=latency,
            ingest=ingest,
            thresholds=points,
            chosen_threshold=kb.threshold,
            best_threshold=best.threshold,
            answerability=current,
        )
        if sweep:
            say("sweeping fusion parameters")
            report.sweep = _sweep(kb, answerable)
        if bitext:
            _bitext(kb, report, bitext_per_intent, say)
        else:
            report.bitext_note = "not run: its labels name the demo store's documents"
    return report


def _measure_ingest(kb: KnowledgeBase, knowledge_dir: Path) -> dict[str, float]:
    started = time.perf_counter()
    first = kb.ingest(knowledge_dir)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    kb.ingest(knowledge_dir)
    warm = time.perf_counter() - started
    files = len(first.added) + len(first.updated)
    return {
        "files": files,
        "passages": first.passages_written,
        "seconds": round(cold, 3),
        "passages_per_second": round(first.passages_written / cold, 1) if cold else 0.0,
        "files_per_second": round(files / cold, 1) if cold else 0.0,
        "unchanged_reingest_seconds": round(warm, 4),
    }


def _rankings(kb: KnowledgeBase, questions: Sequence[Question], method: Method) -> list[list[str]]:
    results = kb.search_many([q.text for q in questions], k=RANK_DEPTH, method=method)
    return [r.ids for r in results]


def _by_tag(questions: Sequence[Question], rankings: list[list[str]]) -> dict[str, MethodScores]:
    groups: dict[str, list[int]] = {}
    for index, question in enumerate(questions):
        for tag in question.tags or ("plain",):
            groups.setdefault(tag, []).append(index)
    return {
        tag: score_rankings([rankings[i] for i in idx], [questions[i].needs for i in idx])
        for tag, idx in sorted(groups.items())
    }


def _latency(kb: KnowledgeBase, texts: Sequence[str], method: Method) -> dict[str, float]:
    kb.search(texts[0], method=method)  # warm caches (BM25 index, Chroma segment)
    timings: list[float] = []
    for text in texts:
        started = time.perf_counter()
        kb.search(text, k=5, method=method)
        timings.append((time.perf_counter() - started) * 1000)
    return {"p50": round(percentile(timings, 50), 2), "p95": round(percentile(timings, 95), 2)}


def _threshold_curve(
    questions: Sequence[Question], confidences: Sequence[float]
) -> list[ThresholdPoint]:
    return [_split_at(questions, confidences, round(0.20 + step * 0.025, 3)) for step in range(25)]


def _split_at(
    questions: Sequence[Question], confidences: Sequence[float], threshold: float
) -> ThresholdPoint:
    inside = [c for q, c in zip(questions, confidences, strict=True) if q.answerable]
    outside = [c for q, c in zip(questions, confidences, strict=True) if not q.answerable]
    kept = sum(c >= threshold for c in inside) / max(len(inside), 1)
    rejected = sum(c < threshold for c in outside) / max(len(outside), 1)
    return ThresholdPoint(threshold, round(kept, 3), round(rejected, 3))


def _sweep(kb: KnowledgeBase, questions: Sequence[Question]) -> list[dict[str, float | str]]:
    variants = [
        (f"convex w={w}", KnowledgeBase(kb.store, fusion="convex", lexical_weight=w))
        for w in SWEEP_LEXICAL_WEIGHT
    ]
    variants += [
        (f"rrf k={k}", KnowledgeBase(kb.store, fusion="rrf", rrf_k=k)) for k in SWEEP_RRF_K
    ]
    variants += [
        (f"convex, passage weight={w}", KnowledgeBase(kb.store, passage_weight=w))
        for w in SWEEP_PASSAGE_WEIGHT
    ]
    rows: list[dict[str, float | str]] = []
    for name, variant in variants:
        scores = score_rankings(
            _rankings(variant, questions, "hybrid"), [q.needs for q in questions]
        )
        rows.append(
            {
                "fusion": name,
                "recall@1": round(scores.recall[1], 4),
                "recall@3": round(scores.recall[3], 4),
                "recall@5": round(scores.recall[5], 4),
                "mrr": round(scores.mrr, 4),
            }
        )
    return rows


def _bitext(kb: KnowledgeBase, report: EvalReport, per_intent: int, say: Log) -> None:
    path = bitext_csv()
    if path is None:
        report.bitext_note = "skipped: ../shared/datasets/bitext is not present"
        say(report.bitext_note)
        return
    utterances = load_bitext(path, per_intent)
    say(f"scoring Bitext: {len(utterances)} utterances")
    needs = [(u.documents,) for u in utterances]
    report.bitext = {}
    for method in METHODS:
        results = kb.search_many([u.text for u in utterances], k=RANK_DEPTH, method=method)
        documents = [list(dict.fromkeys(p.source for p in r.passages)) for r in results]
        report.bitext[method] = score_rankings(documents, needs)
    sample = f"{per_intent} per intent" if per_intent else "all"
    report.bitext_note = f"{len(utterances)} utterances ({sample}), scored by document"
