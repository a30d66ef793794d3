"""Shared fixtures: one demo-store index per test session (the model loads once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import KnowledgeBase

DEMO_KNOWLEDGE = Path(__file__).resolve().parents[2] / "stores" / "demo" / "knowledge"


@pytest.fixture(scope="session")
def demo_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """The demo store's knowledge, ingested once into a session-wide Chroma directory."""
    kb = KnowledgeBase.open(tmp_path_factory.mktemp("demo-index"), collection="kb-demo")
    report = kb.ingest(DEMO_KNOWLEDGE)
    assert not report.skipped
    return kb
