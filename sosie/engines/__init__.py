"""Engines answer questions as the persona; each is chosen by name (``quote`` first)."""

from sosie.engines.base import ENGINES, Answer, Citation, Engine, make_engine

__all__ = ["ENGINES", "Answer", "Citation", "Engine", "make_engine"]
