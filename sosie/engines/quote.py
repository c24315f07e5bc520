"""The quote engine: answers only in the person's own recorded words, no language model.

1. Past questions like this one (question-to-question similarity): their real answers first.
2. Then the passages hybrid retrieval finds most relevant.
3. Maximal marginal relevance picks a few passages that do not repeat each other.
4. From each, the sentences that bear on the question, in their original order, each cited.
Nothing passes the similarity floor -> the engine says the corpus does not cover it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sosie.corpus.sentences import sentence_spans
from sosie.engines.base import Answer, Citation, abstention, tidy
from sosie.engines.retrieval import retrieve, select
from sosie.errors import SosieError
from sosie.index.hybrid import tokenize

if TYPE_CHECKING:
    from sosie.corpus.store import PassageRow
    from sosie.workspace import Workspace





class QuoteEngine:
    name = "quote"

    @dataclass
    class Options:
        """The quote engine uses no language model and takes no options."""

    def __init__(self, persona: Workspace):
        self.persona = persona
        self.settings = persona.config.quote

    def sentences(self, passage: PassageRow, terms: set[str], budget: int) -> list[str]:
        """The run of consecutive sentences that shares most words with the question.

        A contiguous run reads like the person speaking; cherry-picked sentences would not.
        """
        text = passage.text
        spans = [text[s:e] for s, e in sentence_spans(text)]
        overlap = [len(terms & set(tokenize(span))) for span in spans]
        sizes = [len(span.split()) for span in spans]
        best, best_score = (0, 1), -1.0
        starts = [i for i in range(len(spans)) if overlap[i] > 0] or [0]
        for i in starts:  # a run starts on a sentence about the question, not before it
            j, words = i, 0
            while j < len(spans) and (j == i or words + sizes[j] <= budget):
                words += sizes[j]
                j += 1
            score = sum(overlap[i:j]) + (0.5 if i == 0 else 0.0)  # openings carry context
            if score > best_score:
                best, best_score = (i, j), score
        return [tidy(span) for span in spans[best[0] : best[1]]]

    def answer(self, question: str, history=(), on_token=None) -> Answer:
        question = question.strip()
        if not question:
            raise SosieError("empty question; ask something, e.g. sosie ask NAME \"What matters?\"")
        found = retrieve(self.persona, question, self.settings)
        if found.empty:
            return abstention(self.persona, question, self.name)
        chosen = select(self.persona, found.relevance, self.settings.max_passages, self.settings.mmr_lambda)
        rows = self.persona.store.passages(chosen)
        chosen = [pid for pid in chosen if pid in rows]
        if not chosen:
            return abstention(self.persona, question, self.name)
        terms = set(tokenize(question))
        budget = max(25, self.settings.max_words // len(chosen))
        parts: list[str] = []
        citations: list[Citation] = []
        seen: set[str] = set()
        support: list[dict] = []
        for n, pid in enumerate(chosen, start=1):
            row = rows[pid]
            for sentence in self.sentences(row, terms, budget):
                if sentence.lower() not in seen:  # the same line said in two sources, once
                    seen.add(sentence.lower())
                    parts.append(f"{sentence} [{n}]")
                    support.append({"sentence": sentence, "tag": "verbatim", "citations": [n],
                                    "similarity": 1.0})
            citations.append(Citation.from_passage(n, row))
        return Answer(
            question=question,
            text=" ".join(parts),
            persona=self.persona.slug,
            engine=self.name,
            disclosure=self.persona.config.disclosure,
            citations=citations,
            support=support,
        )
