"""Sosie: a cited, clearly labelled double of a person, built from their own words."""

from sosie.engines.base import Answer, Citation
from sosie.errors import SosieError
from sosie.persona import Persona

__all__ = ["Answer", "Citation", "Persona", "SosieError"]
__version__ = "0.1.0"
