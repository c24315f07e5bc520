"""The quote engine: answers only in the person's own recorded words, no language model.

1. A past question that is the same question (question-to-question similarity): its real
   answer, from its first sentence.
2. Otherwise the passages hybrid retrieval finds relevant, read sentence by sentence: the
   selector (``sosie.engines.selector``) picks the run of consecutive sentences that answers,
   scored against the question and against what the person's answers to such questions say.
3. Every sentence is verbatim and cited to its passage, with the passage's exact offsets.
Nothing passes the similarity floor -> the engine says the corpus does not cover it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sosie.corpus.dates import as_of_date
from sosie.corpus.sentences import sentence_spans
from sosie.engines.base import (
    Answer,
    Citation,
    Remark,
    abstention,
    before_the_record,
    chosen_by_embedder,
    tidy,
)
from sosie.engines.retrieval import Window, follow_up, retrieve, said_before, window
from sosie.engines.selector import Run, Selector, leans_back
from sosie.engines.timeline import Timeline, timeline, topic_of
from sosie.errors import SosieError

if TYPE_CHECKING:
    import numpy as np

    from sosie.corpus.store import PassageRow
    from sosie.workspace import Workspace


def fresh(run: Run, said: set[str]) -> Run:
    """The run without the sentences already said."""
    kept = [(span, s) for span, s in zip(run.spans, run.sentences, strict=True) if s.lower() not in said]
    return replace(run, spans=[span for span, _ in kept], sentences=[s for _, s in kept])


# a past question this close is the same question: its real answer wins whole; a merely similar
# one (the [quote] question_match floor) only competes, through retrieval's bonus, in the selector
SAME_QUESTION = 0.85
AGAIN_TRIES = 3  # choices made again, each without the passages a panel double already said


class QuoteEngine:
    name = "quote"

    @dataclass
    class Options:
        """The quote engine uses no language model; ``as_of`` answers from the record as it
        stood on that date."""

        as_of: str | None = None
        timeline: bool = False  # answer every question from the timeline of its topic

    def __init__(self, persona: Workspace, as_of: str | None = None, timeline: bool = False):
        self.persona = persona
        self.settings = persona.config.quote
        self.selector = Selector(persona)
        self.as_of = as_of_date(as_of)
        self.timeline = timeline

    def real_answer(self, qv: np.ndarray, relevance: dict[int, float],
                    when: Window | None = None) -> list[int]:
        """The passages of the real answer to the same question asked before, in order."""
        index = self.persona.index
        floor = max(SAME_QUESTION, self.settings.question_match)
        allowed = when.questions if when else None
        same = [q for q in index.similar_questions(qv, k=1, allowed=allowed) if q.similarity >= floor]
        if not same:
            return []
        passages = self.persona.store.passage_ids_of_turns([same[0].answer_turn_id])
        return [p for p in passages.get(same[0].answer_turn_id, []) if p in relevance]

    def runs_of(self, ids: list[int], rows: dict[int, PassageRow], words: int) -> list[Run]:
        """Whole passages from their first sentence, until about ``words`` words."""
        runs: list[Run] = []
        total = 0
        for pid in ids:
            text = rows[pid].text
            spans = sentence_spans(text)
            kept = []
            for s, e in spans:
                if not kept and not runs and leans_back(text[s:e]):
                    continue  # "I do." answered how it was asked then, not how it is asked now
                size = len(text[s:e].split())
                if kept and total + size > words:
                    break
                kept.append((s, e))
                total += size
            if kept:
                runs.append(Run(pid, kept, [tidy(text[s:e]) for s, e in kept], 1.0))
            if total >= words:
                break
        return runs

    def not_again(self, runs: list[Run], said: set[str], qv: np.ndarray, relevance: dict[int, float],
                  rows: dict[int, PassageRow]) -> list[Run]:
        """What the double has not yet said in this panel: passages already said whole are set
        aside and the choice is made again (a few times); if everything relevant was said, the
        first choice stands, said again."""
        relevance = dict(relevance)
        for _ in range(AGAIN_TRIES):
            new = [r for r in (fresh(run, said) for run in runs) if r.sentences]
            if new:
                return new
            for run in runs:
                relevance.pop(run.passage_id, None)
            if not relevance:
                break
            runs = self.selector.choose(qv, relevance, rows, self.settings.max_words) or runs
        return runs

    def over_time(self, question: str, found: Timeline, dated: dict | None) -> Answer | None:
        """"How has your view changed?": the earliest statement, the one after the largest
        change, and the latest, in the person's words, oldest first; each citation carries its
        date. ``None`` when the record has the topic in fewer than two years."""
        said = found.statements
        if len({s.year for s in said}) < 2:
            return None
        picks = [0, *(c["before"] for c in found.changes[:1]), len(said) - 1]
        parts, citations, support = [], [], []
        for i in dict.fromkeys(picks):  # in order, once each
            statement = said[i]
            n = len(citations) + 1
            sentences = [statement.text[a:b] for a, b in sentence_spans(statement.text)][:2]
            for sentence in sentences:
                parts.append(f"{sentence} [{n}]")
                support.append({"sentence": sentence, "tag": "verbatim", "citations": [n], "similarity": 1.0})
            row = self.persona.store.passages([statement.passage_id])[statement.passage_id]
            citations.append(Citation.from_passage(n, row))
        return Answer(question=question, text=" ".join(parts), persona=self.persona.slug, engine=self.name,
                      disclosure=self.persona.config.disclosure, citations=citations, support=support,
                      as_of=dated, model=chosen_by_embedder())

    def answer(self, question: str, history=(), on_token=None, others: Sequence[Remark] = ()) -> Answer:
        """``others`` (a panel's other speakers): their last words join the question as a
        follow-up query, and what this double already said in the panel is not said again."""
        question = question.strip()
        if not question:
            raise SosieError("empty question; ask something, e.g. sosie ask NAME \"What matters?\"")
        when = window(self.persona, self.as_of) if self.as_of else None
        if when is not None and not when.sources:
            return before_the_record(self.persona, question, self.name, when.describe())
        dated = when.describe() if when else None
        topic = topic_of(question) or (question if self.timeline else None)
        if topic and not others:
            over_time = self.over_time(question, timeline(self.persona, topic, when), dated)
            if over_time is not None:
                return over_time
        found = retrieve(self.persona, follow_up(question, others), self.settings, when)
        if found.empty:
            return replace(abstention(self.persona, question, self.name), as_of=dated)
        relevance = dict(found.relevance)
        rows = self.persona.store.passages(list(relevance))
        if not rows:
            return replace(abstention(self.persona, question, self.name), as_of=dated)
        target = self.selector.target_words(self.settings.max_words)
        said = said_before(history) if others else set()
        same = [pid for pid in self.real_answer(found.question_vector, found.relevance, when) if pid in rows]
        runs = (self.runs_of(same, rows, target) if same
                else self.selector.choose(found.question_vector, relevance, rows, self.settings.max_words))
        runs = self.not_again(runs, said, found.question_vector, relevance, rows) if said else runs
        if not runs:
            return replace(abstention(self.persona, question, self.name), as_of=dated)
        parts: list[str] = []
        citations: list[Citation] = []
        support: list[dict] = []
        seen: set[str] = set()
        for run in runs:
            n = len(citations) + 1
            kept = [s for s in run.sentences if s.lower() not in seen]  # one line said twice, once
            if not kept:
                continue
            for sentence in kept:
                seen.add(sentence.lower())
                parts.append(f"{sentence} [{n}]")
                support.append({"sentence": sentence, "tag": "verbatim", "citations": [n], "similarity": 1.0})
            citations.append(Citation.from_passage(n, rows[run.passage_id]))
        return Answer(
            question=question,
            text=" ".join(parts),
            persona=self.persona.slug,
            engine=self.name,
            disclosure=self.persona.config.disclosure,
            citations=citations,
            support=support,
            as_of=dated,
            model=chosen_by_embedder(),
        )
