"""The quote engine's answer selector: which of the person's sentences answer this question.

1. Sentence evidence: the sentences of the most relevant passages are read one by one (their
   vectors are in the index, built with it; an older index's are embedded here and cached), so
   the lines that answer can be found inside a passage about something else.
2. The person's own Q/A pairs: a ridge map from question vectors to answer vectors, fitted on
   the pairs the index lets us see (held-out questions are hidden), predicts what an answer to
   this question looks like; a window is scored against the question and that prediction.
3. Coherence: a run of consecutive sentences, never opening on one that leans on the one
   before ("That's why.", "It was.", "I do."), about as long as the person's answers. One
   exception: asked a yes/no question, the person's own short direct answer at the start of
   their reply ("Never.", "No, not at all.") opens the run and stays with what follows it, since
   it is the most answer-like sentence they said; what follows is then what must address the
   question.

>>> runs = Selector(workspace).choose(qv, relevance, rows, max_words=90, max_runs=3)  # doctest: +SKIP
>>> [(r.passage_id, r.sentences) for r in runs]                                        # doctest: +SKIP
[(812, ['Libraries are the last place ...', 'Nobody asks you ...'])]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sosie.corpus.sentences import sentence_spans
from sosie.engines.base import tidy
from sosie.errors import NotBuilt
from sosie.index.embedder import embed

if TYPE_CHECKING:
    from sosie.corpus.queries import PassageRow
    from sosie.workspace import Workspace

POOL = 8  # passages whose sentences are read closely (the index holds their vectors)
SENTENCE_CAP = 120  # at most this many sentences read per question
MAP_WEIGHT = 0.25  # weight of the predicted answer against the question itself
FIRST_WEIGHT = 0.3  # the opening sentence must address the question on its own
MAP_RIDGE = 1.0  # ridge penalty of the question -> answer map
LENGTH_WEIGHT = 0.25  # a run near the person's usual length beats a fragment (a whole answer, not one line)
MAP_MIN_PAIRS = 8  # fewer real Q/A pairs than this: no map, the question alone decides
MIN_WORDS, DEFAULT_WORDS = 40, 90  # answer length when the profile says nothing
STRETCH = 1.5  # the person's usual length may run past the soft cap ``max_words`` by this much

# the first word of a sentence that leans on what was said before it
LEANING = frozenset(
    "that that's thats it it's its this these those so but and or also then which they they're "
    "he he's she she's him her them anyway yes no yeah exactly both still because otherwise "
    "instead same plus hence thus again nor".split()
)
WORD = re.compile(r"[\w']+")
# the first word of a short direct answer ("Never.", "Yes, Congresswoman.", "No, not at all.")
DIRECT = frozenset("yes no never always absolutely certainly definitely sure correct exactly "
                   "indeed nope yeah yep right".split())
DIRECT_WORDS = 4  # "No, not at all." and a title ("Yes, Mr. Chairman.") still count
# a question that a yes or a no answers: it opens on an auxiliary verb (after any preamble, its
# last sentence with a question mark is what is asked)
YES_NO = re.compile(
    r"^(?:and |but |so |now |well |)(?:do|does|did|is|are|was|were|will|would|can|could|should|have|has|had|"
    r"may|might|must|shall|isn't|aren't|wasn't|weren't|don't|doesn't|didn't|won't|wouldn't|can't|"
    r"couldn't|shouldn't|haven't|hasn't)\b", re.I)


def leans_back(sentence: str) -> bool:
    """Whether a sentence needs its predecessor: ``"That's why."`` or ``"I do."`` -> True."""
    words = WORD.findall(sentence.lower().replace("\u2019", "'"))
    return not words or words[0] in LEANING or len(words) <= 3


def is_direct(sentence: str) -> bool:
    """A short direct answer: ``"Never."``, ``"No, not at all."``, ``"Yes, Congresswoman."``."""
    words = WORD.findall(sentence.lower().replace("\u2019", "'"))
    return 0 < len(words) <= DIRECT_WORDS and words[0] in DIRECT


def asks_yes_or_no(question: str) -> bool:
    """Whether the question (its last sentence with a question mark) can be answered yes or no.

    >>> asks_yes_or_no("Thank you. Do you use moulds for your cups?"), asks_yes_or_no("Why moulds?")
    (True, False)
    """
    asked = [s for s in re.split(r"(?<=[.?!])\s+", question.strip()) if s.endswith("?")]
    return bool(asked) and YES_NO.match(asked[-1].strip(" \"'\u201c")) is not None


# a question about the past: the earlier view is what is asked for, so the later is not preferred
PAST = re.compile(
    r"\b(?:back (?:in (?:(?:19|20)\d\d|the|those|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*)"
    r"|then|when)"
    r"|at the time|in those days|used to|originally|in the past|early on|"
    r"years ago|when you (?:first|started|began)|did you (?:say|think|believe|expect) (?:then|in))\b"
    # a past verb before a year ("you said in 2019"); a year alone may be ahead ("in 2026?")
    r"|\b(?:said|thought|believed|wrote|argued|predicted|told|did|were|was)\b[^.?!]{0,40}"
    r"\b(?:in|during) (?:1[89]|20)\d\d\b", re.I)


def asks_about_the_past(question: str) -> bool:
    """Whether the question asks what the person thought or said then, not now.

    >>> asks_about_the_past("What did you think back in 2020 about inflation?")
    True
    >>> asks_about_the_past("Where is inflation heading?"), asks_about_the_past("What do you expect in 2026?")
    (False, False)
    >>> asks_about_the_past("You said in 2019 that rates would stay low. Why?")
    True
    """
    return PAST.search(question) is not None


def recency_for(question: str, recency: float) -> float:
    """The recency preference for this question: none when it asks about the past."""
    return 0.0 if asks_about_the_past(question) else recency


def date_ranks(dates: dict[int, str | None]) -> dict[int, float]:
    """Passage id -> 0 for the oldest distinct date up to 1 for the newest (undated: absent).

    >>> date_ranks({1: "2019-07-31", 2: "2025-03-19", 3: None, 4: "2022-06-15"})
    {1: 0.0, 2: 1.0, 4: 0.5}
    """
    distinct = sorted({d for d in dates.values() if d})
    if len(distinct) < 2:
        return {}
    rank = {d: i / (len(distinct) - 1) for i, d in enumerate(distinct)}
    return {pid: rank[d] for pid, d in sorted(dates.items()) if d}


def unit(vector: np.ndarray) -> np.ndarray:
    return vector / (np.linalg.norm(vector, axis=-1, keepdims=True) + 1e-9)


@dataclass
class Run:
    """Consecutive sentences ``spans[i:j]`` of one passage, with their offsets in its text."""

    passage_id: int
    spans: list[tuple[int, int]]
    sentences: list[str]
    score: float

    @property
    def words(self) -> int:
        return sum(len(s.split()) for s in self.sentences)


class AnswerMap:
    """Ridge regression from question vectors to the vectors of their real answers."""

    def __init__(self, questions: np.ndarray, answers: np.ndarray, ridge: float = MAP_RIDGE):
        self.q_mean, self.a_mean = questions.mean(axis=0), answers.mean(axis=0)
        centred = questions - self.q_mean
        gram = centred.T @ centred + ridge * np.eye(questions.shape[1], dtype=np.float64)
        self.weights = np.linalg.solve(gram, centred.T @ (answers - self.a_mean))

    def predict(self, question_vector: np.ndarray) -> np.ndarray:
        return unit((question_vector - self.q_mean) @ self.weights + self.a_mean).astype(np.float32)

    @classmethod
    def fit(cls, workspace: Workspace) -> AnswerMap | None:
        """Fitted on the Q/A pairs the index shows; an evaluation's hidden pairs stay unseen."""
        index = workspace.index
        allowed = (index.question_allowed if index.question_allowed is not None
                   else np.ones(len(index.question_turn_ids), dtype=bool))
        turns = [int(t) for t in index.question_turn_ids[allowed]]
        questions = index.question_vectors[allowed]
        passages = workspace.store.passage_ids_of_turns(turns)
        rows, answers = [], []
        for n, turn in enumerate(turns):
            vectors = [v for v in (_visible_vector(workspace, p) for p in passages.get(turn, []))
                       if v is not None]
            if vectors:
                rows.append(n)
                answers.append(unit(np.mean(vectors, axis=0)))
        if len(rows) < MAP_MIN_PAIRS:
            return None
        return cls(questions[rows].astype(np.float64), np.array(answers, dtype=np.float64))


def _visible_vector(workspace: Workspace, passage_id: int) -> np.ndarray | None:
    index = workspace.index
    row = index.row_of.get(passage_id)
    if row is None or (index.passage_allowed is not None and not index.passage_allowed[row]):
        return None
    return index.vectors[row]


class Selector:
    """Picks the runs of the person's sentences that answer a question; caches per passage."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self._sentences: dict[int, tuple[str, list[tuple[int, int]], np.ndarray]] = {}
        self._maps: dict[tuple, AnswerMap | None] = {}

    def answer_map(self) -> AnswerMap | None:
        index = self.workspace.index
        mask = index.question_allowed
        key = (str(index.build), None if mask is None else mask.tobytes())
        if key not in self._maps:
            if len(self._maps) > 8:
                self._maps.clear()
            self._maps[key] = AnswerMap.fit(self.workspace)
        return self._maps[key]

    def target_words(self, cap: int) -> int:
        """How long the person's answers run (the profile's median), within the soft cap."""
        try:
            words = int(self.workspace.profile()["answer_length"]["median"])
        except (NotBuilt, KeyError, TypeError, ValueError):
            words = DEFAULT_WORDS
        return max(MIN_WORDS, min(int(STRETCH * cap), words))

    def sentences(self, rows: dict[int, PassageRow], ids: list[int]) -> None:
        """These passages' sentences and vectors: from the index (built with them), else
        embedded now, in one batch, and cached."""
        cached = self._sentences
        fresh = [pid for pid in ids if pid not in cached or cached[pid][0] != rows[pid].text]
        index = self.workspace.index
        for pid in list(fresh):
            indexed = index.sentences(pid)
            if indexed is not None:
                cached[pid] = (rows[pid].text, *indexed)
                fresh.remove(pid)
        spans = {pid: sentence_spans(rows[pid].text) for pid in fresh}
        texts = [tidy(rows[pid].text[s:e]) for pid in fresh for s, e in spans[pid]]
        vectors = embed(texts) if texts else np.zeros((0, 0), dtype=np.float32)
        at = 0
        for pid in fresh:
            n = len(spans[pid])
            self._sentences[pid] = (rows[pid].text, spans[pid], vectors[at : at + n])
            at += n

    def pool(self, qv: np.ndarray, predicted: np.ndarray | None, relevance: dict[int, float],
             rows: dict[int, PassageRow]) -> list[int]:
        """The passages to read closely: relevance to the question, then to the predicted answer."""
        def score(pid: int) -> float:
            vector = self.workspace.index.vector(pid)
            fit = 0.0 if predicted is None or vector is None else MAP_WEIGHT * float(vector @ predicted)
            return relevance[pid] + fit

        ranked = sorted((p for p in relevance if p in rows), key=score, reverse=True)
        picked, budget = [], SENTENCE_CAP
        for pid in ranked[:POOL]:
            size = len(sentence_spans(rows[pid].text))
            if picked and size > budget:
                continue
            picked.append(pid)
            budget -= size
        return picked

    def choose(self, qv: np.ndarray, relevance: dict[int, float],
               rows: dict[int, PassageRow], max_words: int, max_runs: int,
               yes_no: bool = False, recency: float = 0.0) -> list[Run]:
        """The best-scoring runs, the first one addressing the question, about ``target`` words,
        from at most ``max_runs`` passages (``[quote] max_passages``: more reads as a list of
        one-liners). ``yes_no``: the question can be answered yes or no, so a reply that opens
        on the person's direct answer keeps it. ``recency``: added to the score of the newest
        passage read, in proportion for the others (by date rank; undated ones get nothing),
        so of two statements about as good the later view wins."""
        answer_map = self.answer_map()
        predicted = answer_map.predict(qv) if answer_map is not None else None
        ids = self.pool(qv, predicted, relevance, rows)
        self.sentences(rows, ids)
        target = self.target_words(max_words)
        runs: list[Run] = []
        for pid in ids:
            text, spans, vectors = self._sentences[pid]
            runs += self.windows(pid, text, spans, vectors, qv, predicted, target,
                                 direct_opening=yes_no and rows[pid].opens_turn)
        if not runs:
            return []
        if recency:
            newness = date_ranks({pid: rows[pid].date for pid in ids})
            for run in runs:
                run.score += recency * newness.get(run.passage_id, 0.0)
        runs.sort(key=lambda r: r.score, reverse=True)
        chosen = [runs[0]]
        words = runs[0].words
        for run in runs[1:]:  # a second run from another passage when the first is short
            if words >= 0.7 * target or len(chosen) >= max_runs:
                break
            if run.passage_id in {c.passage_id for c in chosen} or words + run.words > target * 1.2:
                continue
            chosen.append(run)
            words += run.words
        return chosen

    @staticmethod
    def windows(pid: int, text: str, spans: list[tuple[int, int]], vectors: np.ndarray,
                qv: np.ndarray, predicted: np.ndarray | None, target: int,
                direct_opening: bool = False) -> list[Run]:
        """For each sentence that can open an answer, its best run of at most ``target`` words
        (every run of the passage scored at once: a run's vector is a difference of running sums).
        ``direct_opening``: the passage opens the person's reply to a yes/no question, so a
        direct answer first ("Never.") opens the run and is never left out of it."""
        sentences = [tidy(text[s:e]) for s, e in spans]
        words = np.concatenate([[0], np.cumsum([len(s.split()) for s in sentences])])
        glued = direct_opening and len(sentences) > 1 and is_direct(sentences[0])
        starts, ends = [], []
        for i, sentence in enumerate(sentences):
            if glued and i == 1:
                continue  # what follows the direct answer does not go without it
            if leans_back(sentence) and not (glued and i == 0):
                continue  # it comes in only after the sentence it leans on
            # runs i..j while they fit in ``target`` words (the first sentence always does);
            # a direct answer is never the whole run
            low = i + 1 if glued and i == 0 else i
            last = max(low, int(np.searchsorted(words, words[i] + target, side="right")) - 2)
            starts += [i] * (last - low + 1)
            ends += range(low, last + 1)
        if not starts:
            return []
        first, end = np.array(starts), np.array(ends)
        # the sentence that must address the question: after a direct answer, the next one
        lead = first + ((first == 0) & glued)
        running = np.vstack([np.zeros_like(vectors[:1]), np.cumsum(vectors, axis=0)])
        runs = unit(running[end + 1] - running[first])
        size = words[end + 1] - words[first]
        score = (runs @ qv + FIRST_WEIGHT * (vectors[lead] @ qv)
                 + LENGTH_WEIGHT * np.minimum(1.0, size / target))
        if predicted is not None:
            score = score + MAP_WEIGHT * (runs @ predicted)
        out = []
        for i in dict.fromkeys(starts):  # the best run from each opening sentence
            rows = np.flatnonzero(first == i)
            k = int(rows[np.argmax(score[rows])])
            j = int(end[k])
            out.append(Run(pid, spans[i : j + 1], sentences[i : j + 1], float(score[k])))
        return out
