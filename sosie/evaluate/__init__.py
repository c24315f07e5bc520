"""Evaluation stage: is the double close to the person, measured on their held-out answers."""

from sosie.corpus.split import get_split, held_out_pairs
from sosie.evaluate.protocol import EvalOptions, evaluate, reword

__all__ = ["EvalOptions", "evaluate", "get_split", "held_out_pairs", "reword"]
