"""Retrieval shared by the engines: relevant passages, ranked and de-duplicated.

1. Past questions like this one (question-to-question similarity): their real answers.
2. The passages hybrid retrieval ranks highest, above a cosine floor.
3. Maximal marginal relevance: a few passages that do not repeat each other.
No passage above the floor means the corpus does not cover the question: engines abstain.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sosie.corpus.sentences import sentence_spans
from sosie.index.embedder import embed_query

if TYPE_CHECKING:
    from sosie.config import RetrievalSettings
    from sosie.engines.base import Remark
    from sosie.workspace import Workspace

QUESTION_MATCH_BONUS = 0.1  # a real answer to the same question beats a merely similar passage
RETRIEVE_K = 12
RELEVANCE_SPREAD = 0.12  # later passages must be nearly as relevant as the best one


# Two passages this alike say the same thing: the newer is kept (the person's latest word on it)
SAME_THING = 0.9


@dataclass
class Window:
    """The record as it stood on ``as_of``: only passages (and past questions) dated up to
    that day can be retrieved. Undated sources are left out, and counted."""

    as_of: str
    passages: np.ndarray  # row mask over the index's passages
    questions: np.ndarray  # row mask over its past questions
    sources: int  # sources with something dated up to as_of
    undated_sources: int
    later_sources: int
    first_date: str | None

    def describe(self) -> dict:
        return {"as_of": self.as_of, "sources": self.sources, "undated_sources": self.undated_sources,
                "later_sources": self.later_sources, "first_date": self.first_date}


def window(workspace: Workspace, as_of: str) -> Window:
    """The as-of window, computed once per date and corpus version (a few ms at 1M words) and
    kept on the workspace (``workspace.windows``, the last 16)."""
    index = workspace.index

    def make() -> Window:
        held = workspace.store.dated_until(as_of)
        passages, questions = index.masks(held["passage_ids"], held["answer_turn_ids"])
        return Window(as_of, passages, questions, held["sources"], held["undated_sources"],
                      held["later_sources"], held["first_date"])

    return workspace.windows.get((as_of, workspace.store.corpus_version, id(index)), make)


@dataclass
class Retrieved:
    question_vector: np.ndarray
    relevance: dict[int, float]  # passage id -> relevance

    @property
    def empty(self) -> bool:
        return not self.relevance


FOLLOW_UP_WORDS = 60  # of each other speaker's last words, added to the query


def follow_up(question: str, others: Sequence[Remark]) -> str:
    """The query of a response: the question, then what the others just said (clipped, so a
    long answer does not drown the question)."""
    heard = [" ".join(r.text.split()[:FOLLOW_UP_WORDS]) for r in others if r.text.strip()]
    return " ".join([question, *heard])


CITATION_MARKER = re.compile(r"\s*\[\d+(?:\s*[-–,]\s*\d+)*\]")  # [1], [1, 2], [2-4]


def said_before(history: Sequence[tuple[str, str]]) -> set[str]:
    """The sentences of a double's earlier answers (markers left out), lower-cased: what a
    panel response should not say again."""
    said = set()
    for _, answer in history:
        plain = CITATION_MARKER.sub("", answer)
        said |= {" ".join(plain[s:e].split()).lower() for s, e in sentence_spans(plain)}
    return said


def any_said(text: str, said: set[str]) -> bool:
    """A sentence of this passage was said already: the passage has been used."""
    return any(" ".join(text[s:e].split()).lower() in said for s, e in sentence_spans(text))


def retrieve(workspace: Workspace, question: str, settings: RetrievalSettings,
             as_of: Window | None = None) -> Retrieved:
    """Relevant passages, from the record as it stood on ``as_of`` when given."""
    index = workspace.index
    qv = embed_query(question)
    relevance: dict[int, float] = {}
    passages = as_of.passages if as_of else None
    for hit in index.search(question, qv, k=RETRIEVE_K, allowed=passages):
        if hit.dense >= settings.min_similarity:
            relevance[hit.passage_id] = hit.dense
    similar = index.similar_questions(qv, allowed=as_of.questions if as_of else None)
    matched = [(q.answer_turn_id, q.similarity) for q in similar if q.similarity >= settings.question_match]
    answers = workspace.store.passage_ids_of_turns([turn for turn, _ in matched])
    for turn, similarity in matched:
        for passage_id in answers.get(turn, [])[:2]:
            vector = index.vector(passage_id)
            if vector is None:
                continue  # the index predates a change to this source
            score = max(float(vector @ qv), similarity) + QUESTION_MATCH_BONUS
            relevance[passage_id] = max(relevance.get(passage_id, 0.0), score)
    return Retrieved(qv, prefer_recent(workspace, relevance))


def prefer_recent(workspace: Workspace, relevance: dict[int, float]) -> dict[int, float]:
    """Of passages that say nearly the same thing (cosine >= SAME_THING), keep the newest, with
    the best relevance among them: a person's latest word on a point stands for it."""
    if len(relevance) < 2:
        return relevance
    index = workspace.index
    dates = workspace.store.passage_dates(list(relevance))
    kept = dict(relevance)
    ids = sorted(relevance, key=lambda p: dates.get(p) or "", reverse=True)  # newest first
    for i, newer in enumerate(ids):
        if newer not in kept or not dates.get(newer):
            continue
        for older in ids[i + 1:]:
            if older in kept and (dates.get(older) or "") < dates[newer]:
                a, b = index.vector(newer), index.vector(older)
                if a is not None and b is not None and float(a @ b) >= SAME_THING:
                    kept[newer] = max(kept[newer], kept.pop(older))
    return kept


def select(workspace: Workspace, relevance: dict[int, float], limit: int, lam: float) -> list[int]:
    """Maximal marginal relevance over the candidates' embeddings."""
    index = workspace.index
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
