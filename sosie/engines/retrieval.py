"""Retrieval shared by the engines: relevant passages, ranked and de-duplicated.

1. Past questions like this one (question-to-question similarity): their real answers.
2. The passages hybrid retrieval ranks highest, above a cosine floor.
3. Maximal marginal relevance: a few passages that do not repeat each other.
No passage above the floor means the corpus does not cover the question: engines abstain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sosie.index.embedder import embed_query

if TYPE_CHECKING:
    from sosie.config import QuoteSettings
    from sosie.workspace import Workspace

QUESTION_MATCH_BONUS = 0.1  # a real answer to the same question beats a merely similar passage
RETRIEVE_K = 12
RELEVANCE_SPREAD = 0.12  # later passages must be nearly as relevant as the best one


@dataclass
class Retrieved:
    question_vector: np.ndarray
    relevance: dict[int, float]  # passage id -> relevance

    @property
    def empty(self) -> bool:
        return not self.relevance


def retrieve(persona: Workspace, question: str, settings: QuoteSettings) -> Retrieved:
    index = persona.index
    qv = embed_query(question)
    relevance: dict[int, float] = {}
    for hit in index.search(question, qv, k=RETRIEVE_K):
        if hit.dense >= settings.min_similarity:
            relevance[hit.passage_id] = hit.dense
    similar = index.similar_questions(qv)
    matched = [(q.answer_turn_id, q.similarity) for q in similar if q.similarity >= settings.question_match]
    answers = persona.store.passage_ids_of_turns([turn for turn, _ in matched])
    for turn, similarity in matched:
        for passage_id in answers.get(turn, [])[:2]:
            vector = index.vector(passage_id)
            if vector is None:
                continue  # the index predates a change to this source
            score = max(float(vector @ qv), similarity) + QUESTION_MATCH_BONUS
            relevance[passage_id] = max(relevance.get(passage_id, 0.0), score)
    return Retrieved(qv, relevance)


def select(persona: Workspace, relevance: dict[int, float], limit: int, lam: float) -> list[int]:
    """Maximal marginal relevance over the candidates' embeddings."""
    index = persona.index
    chosen: list[int] = []
    pool = dict(relevance)
    while pool and len(chosen) < limit:

        def mmr(pid: int) -> float:
            if not chosen:
                return pool[pid]
            overlap = max(float(index.vector(pid) @ index.vector(c)) for c in chosen)
            return lam * pool[pid] - (1 - lam) * overlap

        best = max(pool, key=mmr)
        if chosen and (mmr(best) <= 0 or pool[best] < relevance[chosen[0]] - RELEVANCE_SPREAD):
            break  # what is left repeats what was chosen, or is about something else
        chosen.append(best)
        del pool[best]
    return chosen
