"""The person over time: what they said on a topic, oldest first, and where it changed.

``timeline(workspace, "trains")`` gathers the passages on a topic (the same hybrid retrieval the
engines use, deeper), keeps the dated ones in date order, counts them per year and marks the
changes: consecutive dated statements whose meanings differ most (embedding distance, tagged
``"embedding"``). The engines answer "How has your view on X changed?" from it: the earliest
and the latest statement, and the change between, each quoted and cited with its date.

>>> topic_of("How has your view on public transport changed over the years?")
'public transport'
>>> topic_of("Have you changed your mind about cities?")
'cities'
>>> topic_of("What do you think of cities?") is None
True
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sosie.engines.base import Citation
from sosie.engines.control import neutralise
from sosie.engines.retrieval import Window
from sosie.index.embedder import embed_query

if TYPE_CHECKING:
    from pathlib import Path

    from sosie.workspace import Workspace

DEPTH = 40  # passages considered per topic
# Consecutive statements this far apart (1 - cosine) may mark a change; the largest is marked
# whenever it passes the floor (below it, the person repeats themself), and others within
# CLOSE_TO_LARGEST of it. On one topic, opposite stances are still close in meaning: 0.2-0.4.
CHANGE_FLOOR = 0.15
CLOSE_TO_LARGEST = 0.85
VIEW_CHANGED = re.compile(
    r"\b(?:how|has|have|did|do)\b.{0,40}\b(?:views?|opinions?|mind|thinking|position|stance|take|ideas?)\b"
    r".{0,60}\bchang|\bchanged your mind\b|\bover the years\b", re.I)
TOPIC_AFTER = re.compile(r"\b(?:on|about|of|towards?|regarding)\s+(.+?)"
                         r"(?:\s+(?:changed|change|evolved|shifted|over the years|since)\b|[?.!]|$)", re.I)


@dataclass
class Statement:
    passage_id: int
    date: str
    text: str
    similarity: float
    citation: Citation

    @property
    def year(self) -> str:
        return self.date[:4]


@dataclass
class Timeline:
    topic: str
    statements: list[Statement]  # dated, oldest first
    undated: int  # passages on the topic with no date: left out, counted
    changes: list[dict] = field(default_factory=list)  # {"after", "before" (indexes), "distance", "method"}

    def picks(self) -> list[Statement]:
        """What a "how has your view changed?" answer quotes: the earliest statement, the one
        after the largest change, and the latest; oldest first, each once."""
        said = self.statements
        picked = [0, *(c["before"] for c in self.changes[:1]), len(said) - 1]
        return [said[i] for i in dict.fromkeys(picked)] if said else []

    @property
    def by_year(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for s in self.statements:
            counts[s.year] = counts.get(s.year, 0) + 1
        return counts

    def to_dict(self) -> dict:
        return {"topic": self.topic, "undated": self.undated, "by_year": self.by_year,
                "changes": self.changes,
                "statements": [{"date": s.date, "text": s.text, "similarity": round(s.similarity, 3),
                                "passage_id": s.passage_id, "source": s.citation.source,
                                "position": s.citation.position} for s in self.statements]}


def topic_of(question: str) -> str | None:
    """The topic of a "how has your view on X changed?" question; ``None`` for other questions."""
    if not VIEW_CHANGED.search(question):
        return None
    found = TOPIC_AFTER.search(question)
    topic = found.group(1).strip(" ,;:") if found else ""
    return topic or question.strip()


Judge = Callable[[list[dict]], str]  # messages -> the model's reply (sosie.evaluate.judge makes one)


def timeline(workspace: Workspace, topic: str, as_of: Window | None = None, depth: int = DEPTH,
             judge: tuple[Judge, str] | None = None) -> Timeline:
    """The person's dated statements on ``topic``, oldest first, with the changes marked: by
    embedding distance, or by ``judge`` (``(ask, label)``, a language model asked of each
    consecutive pair whether the position changed; its changes are tagged ``judge (label)``)."""
    index, store = workspace.index, workspace.store
    qv = embed_query(topic)
    floor = workspace.config.retrieval.min_similarity
    similarity = {h.passage_id: h.dense for h in index.search(topic, qv, k=depth,
                                                                allowed=as_of.passages if as_of else None)
                  if h.dense >= floor}
    # the answers to past questions on the topic count too ("Has your view of X moved?")
    asked = [q for q in index.similar_questions(qv, k=depth, allowed=as_of.questions if as_of else None)
             if q.similarity >= workspace.config.retrieval.question_match]
    for q in asked:
        for pid in store.passage_ids_of_turns([q.answer_turn_id]).get(q.answer_turn_id, [])[:2]:
            similarity[pid] = max(similarity.get(pid, 0.0), q.similarity)
    rows = store.passages(list(similarity))
    dated = sorted((rows[p] for p in rows if rows[p].date), key=lambda r: (r.date, r.source_id, r.start))
    statements = [Statement(r.id, r.date, " ".join(r.text.split()), similarity[r.id],
                            Citation.from_passage(n, r)) for n, r in enumerate(dated, start=1)]
    found = Timeline(topic, statements, undated=sum(1 for p in rows if not rows[p].date))
    steps = _steps(index, statements)
    found.changes = (_judged(workspace.config.name, topic, statements, steps, *judge) if judge
                     else _largest(steps))
    return found


def _steps(index, statements: list[Statement]) -> list[dict]:
    """Each pair of consecutive statements from different dates, with its embedding distance."""
    steps = []
    for i in range(len(statements) - 1):
        a, b = statements[i], statements[i + 1]
        if a.date == b.date:
            continue  # one occasion is one position
        va, vb = index.vector(a.passage_id), index.vector(b.passage_id)
        if va is not None and vb is not None:
            steps.append({"after": i, "before": i + 1, "distance": round(1 - float(va @ vb), 3),
                          "method": "embedding"})
    return steps


def _largest(steps: list[dict]) -> list[dict]:
    """The step whose meanings differ most (past the floor), and any close to it."""
    if not steps:
        return []
    largest = max(s["distance"] for s in steps)
    if largest < CHANGE_FLOOR:
        return []
    return [s for s in steps if s["distance"] >= max(CHANGE_FLOOR, CLOSE_TO_LARGEST * largest)]


def _judged(name: str, topic: str, said: list[Statement], steps: list[dict], ask: Judge,
            label: str) -> list[dict]:
    """Each step put to the judge, SAME or CHANGED; its changes are tagged with its name."""
    marked = []
    for step in steps:
        a, b = said[step["after"]], said[step["before"]]
        reply = ask([
            {"role": "system", "content": "You compare two statements by one person on one topic. Reply "
                                          "with one word: SAME if they take the same position, CHANGED if "
                                          "the position changed."},
            {"role": "user", "content": neutralise(
                f"Person: {name}\nTopic: {topic}\nEarlier ({a.date}): \"{a.text}\"\n"
                f"Later ({b.date}): \"{b.text}\"\nSAME or CHANGED?")},
        ])
        if "CHANGED" in reply.upper():
            marked.append({**step, "method": f"judge ({label})"})
    return marked


def plot(found: Timeline, path: Path) -> Path:
    """Bars: how often the person spoke of the topic each year; the changes marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    years = sorted(found.by_year)
    span = list(range(int(years[0]), int(years[-1]) + 1)) if years else []
    counts = [found.by_year.get(str(y), 0) for y in span]
    figure, axes = plt.subplots(figsize=(max(4, len(span) * 0.45), 3))
    axes.bar(span, counts, color="#4a6fa5")
    for change in found.changes:
        year = int(found.statements[change["before"]].year)
        axes.axvline(year - 0.5, color="#c0392b", linestyle="--", linewidth=1)
    axes.set_title(f"Statements on \u201c{found.topic}\u201d per year (dashed: a change)", fontsize=9)
    axes.set_xlabel("year")
    axes.set_ylabel("passages")
    axes.yaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
