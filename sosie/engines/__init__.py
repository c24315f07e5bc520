"""Engines answer questions as the persona; each is chosen by name (``quote`` first).

Engines are registered as entry points (group ``sosie.engines``), see :mod:`sosie.registry`.
"""

from sosie.engines.base import (
    Answer,
    Citation,
    Engine,
    EngineOptions,
    engine_available,
    engine_for,
    engine_names,
    make_engine,
)

__all__ = ["Answer", "Citation", "Engine", "EngineOptions", "engine_available", "engine_for",
           "engine_names", "make_engine"]
