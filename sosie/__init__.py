"""Sosie: a cited, clearly labelled double of a person, built from their own words."""

from typing import TYPE_CHECKING

from sosie.errors import SosieError

if TYPE_CHECKING:
    from sosie.engines.base import Answer, Citation
    from sosie.persona import Persona

__all__ = ["Answer", "Citation", "Persona", "SosieError"]
__version__ = "0.1.0"


def __getattr__(name: str):
    """``from sosie import Persona`` without importing every stage whenever one is imported."""
    if name == "Persona":
        from sosie.persona import Persona

        return Persona
    if name in ("Answer", "Citation"):
        from sosie.engines import base

        return getattr(base, name)
    raise AttributeError(f"module 'sosie' has no attribute {name!r}")
