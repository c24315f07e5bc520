"""Corpus stage: read files, keep the subject's words apart from the others', store them."""

from sosie.corpus.ingest import IngestReport, ingest
from sosie.corpus.store import Store

__all__ = ["IngestReport", "Store", "ingest"]
