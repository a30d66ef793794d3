"""BM25 over the passages stored in Chroma, rebuilt in memory whenever the collection changes."""

from __future__ import annotations

from collections.abc import Sequence

import bm25s
import numpy as np

from knowledge.normalize import SpellFixer, tokenize
from knowledge.store import StoredPassage


class LexicalIndex:
    """A BM25 (Lucene variant) index of passages' heading path and text."""

    def __init__(self, passages: Sequence[StoredPassage]) -> None:
        self.passages = list(passages)
        self.by_id = {p.id: p for p in self.passages}
        corpus = [tokenize(p.indexed_text) or ["_empty_"] for p in self.passages]
        self._bm25 = bm25s.BM25(k1=1.2, b=0.75)
        if corpus:
            self._bm25.index(corpus, show_progress=False)
        vocabulary = {token for tokens in corpus for token in tokens}
        self._spell = SpellFixer(vocabulary)

    def query_tokens(self, query: str) -> list[str]:
        """The tokens BM25 will score: normalized, stemmed and spell-fixed."""
        return self._spell.fix(tokenize(query))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage (same order as `passages`); zeros when nothing matches."""
        tokens = self.query_tokens(query)
        if not self.passages or not tokens:
            return np.zeros(len(self.passages), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
