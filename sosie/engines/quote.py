"""The quote engine: answers only in the person's own recorded words, no language model.

1. Past questions like this one (question-to-question similarity): their real answers first.
2. Then the passages hybrid retrieval finds most relevant.
3. Maximal marginal relevance picks a few passages that do not repeat each other.
4. From each, the sentences that bear on the question, in their original order, each cited.
Nothing passes the similarity floor -> the engine says the corpus does not cover it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sosie.corpus.sentences import sentence_spans
from sosie.engines.base import Answer, Citation, register
from sosie.errors import SosieError
from sosie.index.embedder import embed_query
from sosie.index.hybrid import tokenize

if TYPE_CHECKING:
    from sosie.corpus.store import PassageRow
    from sosie.persona import Persona

QUESTION_MATCH_BONUS = 0.1  # a real answer to the same question beats a merely similar passage
RETRIEVE_K = 12
RELEVANCE_SPREAD = 0.12  # later passages must be nearly as relevant as the best one


def _tidy(text: str) -> str:
    return " ".join(text.split())


@register
class QuoteEngine:
    name = "quote"

    def __init__(self, persona: Persona):
        self.persona = persona
        self.settings = persona.config.quote

    def abstain(self, question: str) -> Answer:
        return Answer(
            question=question,
            text=(
                f"Nothing in {self.persona.config.name}'s recorded words covers this question, "
                "so this double will not guess."
            ),
            persona=self.persona.slug,
            engine=self.name,
            disclosure=self.persona.config.disclosure,
            abstained=True,
        )

    def candidates(self, question: str) -> tuple[dict[int, float], np.ndarray]:
        """Passage id -> relevance (cosine, plus a bonus for answers to matching questions)."""
        index = self.persona.index
        qv = embed_query(question)
        relevance: dict[int, float] = {}
        for hit in index.search(question, qv, k=RETRIEVE_K):
            if hit.dense >= self.settings.min_similarity:
                relevance[hit.passage_id] = hit.dense
        matched = [
            q for q in index.similar_questions(qv) if q.similarity >= self.settings.question_match
        ]
        answers = self.persona.store.passage_ids_of_turns([q.answer_turn_id for q in matched])
        for q in matched:
            for passage_id in answers.get(q.answer_turn_id, [])[:2]:
                vector = index.vector(passage_id)
                if vector is None:
                    continue  # the index predates a change to this source
                score = max(float(vector @ qv), q.similarity) + QUESTION_MATCH_BONUS
                relevance[passage_id] = max(relevance.get(passage_id, 0.0), score)
        return relevance, qv

    def select(self, relevance: dict[int, float]) -> list[int]:
        """Maximal marginal relevance over the candidates' embeddings."""
        index, lam = self.persona.index, self.settings.mmr_lambda
        chosen: list[int] = []
        pool = dict(relevance)
        while pool and len(chosen) < self.settings.max_passages:
            def mmr(pid: int) -> float:
                if not chosen:
                    return pool[pid]
                v = index.vector(pid)
                overlap = max(float(v @ index.vector(c)) for c in chosen)
                return lam * pool[pid] - (1 - lam) * overlap

            best = max(pool, key=mmr)
            if chosen and (mmr(best) <= 0 or pool[best] < relevance[chosen[0]] - RELEVANCE_SPREAD):
                break  # what is left repeats what was chosen, or is about something else
            chosen.append(best)
            del pool[best]
        return chosen

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
        return [_tidy(span) for span in spans[best[0] : best[1]]]

    def answer(self, question: str) -> Answer:
        question = question.strip()
        if not question:
            raise SosieError("empty question; ask something, e.g. sosie ask NAME \"What matters?\"")
        relevance, _ = self.candidates(question)
        if not relevance:
            return self.abstain(question)
        chosen = self.select(relevance)
        rows = self.persona.store.passages(chosen)
        chosen = [pid for pid in chosen if pid in rows]
        if not chosen:
            return self.abstain(question)
        terms = set(tokenize(question))
        budget = max(25, self.settings.max_words // len(chosen))
        parts: list[str] = []
        citations: list[Citation] = []
        seen: set[str] = set()
        for n, pid in enumerate(chosen, start=1):
            row = rows[pid]
            for sentence in self.sentences(row, terms, budget):
                if sentence.lower() not in seen:  # the same line said in two sources, once
                    seen.add(sentence.lower())
                    parts.append(f"{sentence} [{n}]")
            citations.append(
                Citation(
                    n=n, passage_id=pid, source=row.path, title=row.title, speaker=row.speaker,
                    date=row.date, start=row.start, end=row.end, line_start=row.line_start,
                    line_end=row.line_end, sha256=row.sha256, text=_tidy(row.text),
                    question=_tidy(row.question) if row.question else None,
                )
            )
        return Answer(
            question=question,
            text=" ".join(parts),
            persona=self.persona.slug,
            engine=self.name,
            disclosure=self.persona.config.disclosure,
            citations=citations,
        )
