"""One knowledge store for every channel: ingestion and retrieval over Chroma + MiniLM.

Public surface::

    kb = KnowledgeBase.open(data_dir, collection=collection_name(store_dir))
    report = kb.ingest(store_dir / "knowledge")          # IngestReport
    result = kb.search("can I return sale items?", k=5)  # SearchResult (.passages, .answerable)
"""

from knowledge.ingest import IngestReport, SkippedFile, ingest_directory
from knowledge.passages import Passage, split_document
from knowledge.retrieval import (
    ANSWERABLE_THRESHOLD,
    METHODS,
    KnowledgeBase,
    Method,
    RetrievedPassage,
    SearchResult,
)
from knowledge.store import DEFAULT_COLLECTION, PassageStore, collection_name, open_client

__all__ = [
    "ANSWERABLE_THRESHOLD",
    "DEFAULT_COLLECTION",
    "METHODS",
    "IngestReport",
    "KnowledgeBase",
    "Method",
    "Passage",
    "PassageStore",
    "RetrievedPassage",
    "SearchResult",
    "SkippedFile",
    "collection_name",
    "ingest_directory",
    "open_client",
    "split_document",
]
