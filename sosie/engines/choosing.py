"""Strict mode: the model chooses the person's sentences by number; it writes none of its own.

The model is shown up to ``CHOICES`` of the person's real sentences, numbered: the quote
selector's answer first, in order, then the sources' other sentences closest to the question.
It replies with numbers (``"3, 1, 4"``); the answer is those sentences, verbatim, each cited to
its passage. This is the issue's "select, order and lightly join", made exact: whatever else the
model writes is never said.

>>> chosen_text("2, 1", [(1, "Trains beat planes under six hours."), (3, "I fix what nobody asked.")])
'I fix what nobody asked. [3] Trains beat planes under six hours. [1]'
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from sosie.engines.base import TokenCallback
from sosie.engines.selector import leans_back

if TYPE_CHECKING:
    from sosie.engines.grounding import Evidence

CHOICES = 6  # strict mode: sentences the model chooses from (``[generative] choices``)
CHOICE_TOKENS = 40  # ... and the tokens its numbers take ("3, 1, 7, 2")
NUMBER = re.compile(r"\d+")
WORD = re.compile(r"[^\W\d_]{2,}")


def choices(answering: list[tuple[int, str]], evidence: Evidence, question_vector: np.ndarray,
            chronological: bool = False, limit: int = CHOICES) -> list[tuple[int, str]]:
    """Strict mode's numbered sentences: the quote selector's answer first, in order, then the
    sources' sentences closest to the question that stand on their own; for "how has your view
    changed?", every statement's sentences oldest first."""
    pool = list(evidence.sentences)
    if chronological:
        return pool[:limit]
    picked = [pair for pair in answering if pair in pool]
    order = (evidence.vectors @ question_vector).argsort()[::-1] if pool else []
    for i in order:
        if len(picked) >= limit:
            break
        pair = pool[int(i)]
        if pair not in picked and not leans_back(pair[1]):
            picked.append(pair)
    return picked[:limit]


def chosen_text(reply: str, candidates: list[tuple[int, str]]) -> str:
    """The model's numbers, in its order, as the sentences they stand for, each with its citation;
    a sentence that leans on the one before it ("And a related one.") is said only right after
    that one."""
    picks = list(dict.fromkeys(int(m) for m in NUMBER.findall(reply) if 1 <= int(m) <= len(candidates)))
    kept = [i for k, i in enumerate(picks)
            if not leans_back(candidates[i - 1][1]) or (k and picks[k - 1] == i - 1)]
    return " ".join(f"{candidates[i - 1][1]} [{candidates[i - 1][0]}]" for i in kept)


class NumberStream:
    """Streams strict mode's answer as the model writes its numbers: each number, once complete,
    is handed on as the sentence it stands for (the checked answer follows at the end)."""

    def __init__(self, candidates: list[tuple[int, str]], on_token: TokenCallback):
        self.candidates, self.on_token = candidates, on_token
        self.reply, self.said = "", 0

    def __call__(self, piece: str) -> None:
        self.reply += piece
        done = self.reply if not self.reply[-1:].isdigit() else self.reply.rstrip("0123456789")
        text = chosen_text(done, self.candidates)
        if len(text) > self.said:  # picks only ever add sentences at the end
            self.on_token(text[self.said:])
            self.said = len(text)
