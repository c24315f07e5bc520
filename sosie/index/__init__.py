"""Index stage: hybrid BM25 + dense retrieval over the persona's passages."""

from sosie.index.hybrid import Hit, HybridIndex, build_index

__all__ = ["Hit", "HybridIndex", "build_index"]
