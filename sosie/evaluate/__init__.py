"""Evaluation stage: is the double close to the person, measured on their held-out answers."""

from sosie.evaluate.protocol import EvalOptions, evaluate, reword
from sosie.corpus.split import get_split, held_out_pairs

__all__ = ["EvalOptions", "evaluate", "get_split", "held_out_pairs", "reword"]
