"""Which parts of a question the record covers.

A question can ask two things, one the person talked about and one they never did ("How do
you teach a child to blow glass, and what is tungsten's boiling point?"). Each part is looked
up on its own with the same retrieval and floor as the whole question; a part nothing covers
is named in the answer, and the model is told to leave it alone.

>>> question_parts("How do you teach a child, and what is tungsten's boiling point?")
['How do you teach a child', "what is tungsten's boiling point?"]
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sosie.corpus.sentences import sentence_spans
from sosie.engines.retrieval import Window, retrieve

if TYPE_CHECKING:
    from sosie.config import RetrievalSettings
    from sosie.workspace import Workspace

ASKING = (r"what|how|why|when|where|who|whom|which|whose|do|does|did|is|are|was|were|can|"
          r"could|would|will|should|have|has|had")
# "..., and what ..." / "... and how ..." / "...; why ...": a second question starts there
JOIN = re.compile(rf"(?:,\s*|;\s*|\s+)(?:and|but|also|plus)\s+(?=(?:{ASKING})\b)|;\s+(?=(?:{ASKING})\b)",
                  re.I)
REQUEST = re.compile(r"(?:and |so |now )?(?:please )?(?:tell|describe|explain|talk|say|share|walk|"
                     r"give|name|list)\b", re.I)
LEADING = re.compile(r"^(?:and|but|also|so|plus)\s+", re.I)
MIN_WORDS = 3


def question_parts(question: str) -> list[str]:
    """The separate things a question asks, in order; one part when it asks one thing."""
    spans = [question[s:e].strip() for s, e in sentence_spans(question)]
    # a preamble ("I read your book.") asks nothing; a request ("Tell me about X.") does
    asking = [s for s in spans if s.endswith("?") or REQUEST.match(s)] or [question.strip()]
    parts: list[str] = []
    for sentence in asking:
        pieces = [LEADING.sub("", p.strip(" ,;")) for p in JOIN.split(sentence)]
        pieces = [p for p in pieces if len(p.split()) >= MIN_WORDS]
        parts += pieces or [sentence]
    return parts


def uncovered_parts(workspace: Workspace, question: str, settings: RetrievalSettings,
                    as_of: Window | None = None) -> list[str]:
    """The parts of a many-part question that no passage covers (none for a one-part question)."""
    parts = question_parts(question)
    if len(parts) < 2:
        return []
    return [part for part in parts if retrieve(workspace, part, settings, as_of).empty]


def uncovered_note(name: str, parts: list[str]) -> str:
    quoted = "; ".join(f"\u201c{p.rstrip('?')}?\u201d" for p in parts)
    return f"(The record holds nothing from {name} on {quoted})"
