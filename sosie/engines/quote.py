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
    Support,
    abstention,
    before_the_record,
    chosen_by_embedder,
    tidy,
)
from sosie.engines.retrieval import Window, follow_up, retrieve, said_before, window
from sosie.engines.selector import Run, Selector, asks_yes_or_no, leans_back, recency_for
from sosie.engines.timeline import Timeline, topic_of
from sosie.engines.timeline import timeline as topic_timeline
from sosie.errors import SosieError

if TYPE_CHECKING:
    import numpy as np

    from sosie.corpus.queries import PassageRow
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

    def __init__(self, workspace: Workspace, as_of: str | None = None, timeline: bool = False):
        self.workspace = workspace
        self.settings = workspace.config.retrieval
        self.selector = Selector(workspace)
        self.as_of = as_of_date(as_of)
        self.from_timeline = timeline  # the option's name; the attribute's must not hide the function

    def real_answer(self, qv: np.ndarray, relevance: dict[int, float],
                    when: Window | None = None) -> list[int]:
        """The passages of the real answer to the same question asked before, in order."""
        index = self.workspace.index
        floor = max(SAME_QUESTION, self.settings.question_match)
        allowed = when.questions if when else None
        same = [q for q in index.similar_questions(qv, k=1, allowed=allowed) if q.similarity >= floor]
        if not same:
            return []
        passages = self.workspace.store.passage_ids_of_turns([same[0].answer_turn_id])
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
            runs = self.selector.choose(qv, relevance, rows, self.settings.max_words,
                                        self.settings.max_passages) or runs
        return runs

    def over_time(self, question: str, found: Timeline, dated: dict | None) -> Answer | None:
        """"How has your view changed?": the earliest statement, the one after the largest
        change, and the latest, in the person's words, oldest first; each citation carries its
        date. ``None`` when the record has the topic in fewer than two years."""
        if len({s.year for s in found.statements}) < 2:
            return None
        picks = found.picks()
        rows = self.workspace.store.passages([s.passage_id for s in picks])
        quotes = [(rows[s.passage_id], [s.text[a:b] for a, b in sentence_spans(s.text)][:2]) for s in picks]
        return quoted_answer(self.workspace, question, self.name, quotes, dated)

    def answer(self, question: str, history=(), on_token=None, others: Sequence[Remark] = ()) -> Answer:
        """``others`` (a panel's other speakers): their last words join the question as a
        follow-up query, and what this double already said in the panel is not said again."""
        question = question.strip()
        if not question:
            raise SosieError("empty question; ask something, e.g. sosie ask NAME \"What matters?\"")
        when = window(self.workspace, self.as_of) if self.as_of else None
        if when is not None and not when.sources:
            return before_the_record(self.workspace, question, self.name, when.describe())
        dated = when.describe() if when else None
        topic = topic_of(question) or (question if self.from_timeline else None)
        if topic and not others:
            over_time = self.over_time(question, topic_timeline(self.workspace, topic, when), dated)
            if over_time is not None:
                return over_time
        found = retrieve(self.workspace, follow_up(question, others), self.settings, when)
        rows = self.workspace.store.passages(list(found.relevance))  # none: nothing is relevant
        said = said_before(history) if others else set()
        runs = self.runs(found.question_vector, dict(found.relevance), rows, when, said,
                         yes_no=asks_yes_or_no(question),
                         recency=recency_for(question, self.settings.recency))
        if not runs:
            return abstention(self.workspace, question, self.name, as_of=dated)
        quotes = [(rows[passage_id], sentences) for passage_id, sentences in said_once(runs)]
        return quoted_answer(self.workspace, question, self.name, quotes, dated)

    def runs(self, qv: np.ndarray, relevance: dict[int, float], rows: dict[int, PassageRow],
             when: Window | None, said: set[str], yes_no: bool = False, recency: float = 0.0) -> list[Run]:
        """What answers: the real answer to the same question asked before, else the selector's
        choice; in a panel, what this double has not yet said (``said``); ``yes_no``: the
        question can be answered yes or no (the person's "Never." stays at the front);
        ``recency``: how much the later of two statements is preferred."""
        if not rows:
            return []
        same = [pid for pid in self.real_answer(qv, relevance, when) if pid in rows]
        if same:
            runs = self.runs_of(same, rows, self.selector.target_words(self.settings.max_words))
        else:
            runs = self.selector.choose(qv, relevance, rows, self.settings.max_words,
                                        self.settings.max_passages, yes_no=yes_no,
                                        recency=recency)
        return self.not_again(runs, said, qv, relevance, rows) if said else runs


def said_once(runs: Sequence[Run]) -> list[tuple[int, list[str]]]:
    """``(passage id, sentences)`` per run, without the sentences an earlier run already said (one
    line said twice is quoted once); a run left with nothing is dropped."""
    seen: set[str] = set()
    kept_runs = []
    for run in runs:
        kept = [s for s in run.sentences if s.lower() not in seen]
        seen |= {s.lower() for s in kept}
        if kept:
            kept_runs.append((run.passage_id, kept))
    return kept_runs


def quoted_answer(workspace: Workspace, question: str, engine: str,
                  quotes: Sequence[tuple[PassageRow, Sequence[str]]], as_of: dict | None) -> Answer:
    """The person's sentences, verbatim, each followed by the marker ``[n]`` of its passage, the
    passages cited in the order they are quoted; ``as_of``: the window the answer was drawn from."""
    parts: list[str] = []
    citations: list[Citation] = []
    support: list[Support] = []
    for row, sentences in quotes:
        n = len(citations) + 1
        for sentence in sentences:
            parts.append(f"{sentence} [{n}]")
            support.append({"sentence": sentence, "tag": "verbatim", "citations": [n], "similarity": 1.0})
        citations.append(Citation.from_passage(n, row))
    return Answer(question=question, text=" ".join(parts), persona=workspace.slug, engine=engine,
                  disclosure=workspace.config.disclosure, citations=citations, support=support,
                  as_of=as_of, model=chosen_by_embedder())
