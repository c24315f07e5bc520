"""A file's turns: who speaks from where to where, and each answer's question.

:func:`sosie.corpus.speakers.detect` decides which lines are speaker labels (and which
headings name a speaker); :func:`cut_turns` then walks the lines once and cuts the text into
turns, leaving out what is nobody's words (stage notes, clock lines, page furniture).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sosie.corpus.labels import (
    CAPS_TITLE,
    CLOCK_LINE,
    END_MARK,
    LEADING_STAMP,
    MARKUP,
    STAGE_LINE,
    STAMP_LINE,
    Candidate,
    clock,
)
from sosie.corpus.names import Cast
from sosie.corpus.text import add_sample, trim

HEADING_DATE = re.compile(r"^(\d{4}(?:-\d{2}(?:-\d{2})?)?)\b")
MARKS = set("`~-*_")  # first characters of a code fence or a rule
STAMPS = set("[(*_0123456789")  # first characters of a line holding only a timestamp


@dataclass
class Turn:
    speaker: str
    role: str  # "subject" or "other"
    start: int
    end: int
    date: str | None = None
    question: Turn | None = None
    # False for text a section header gives to its presenter: a talk's sections are not answers
    labelled: bool = True


@dataclass
class Transcript:
    """What a file turned out to be: its convention, its turns and its time marks."""

    kind: str  # "transcript" or "monologue"
    convention: str
    turns: list[Turn]
    locators: list[tuple[int, str]] = field(default_factory=list)
    confidence: float = 1.0  # how sure the reader is of whose words are whose, 0-1
    evidence: str = ""  # why, in words: "42 labels of 5 speakers, ..."

    def speakers(self, text: str) -> dict[str, dict]:
        """Per speaker: role, turns, words and two sample turns (what ``--dry-run`` shows)."""
        rows: dict[str, dict] = {}
        for turn in self.turns:
            row = rows.setdefault(turn.speaker, {"role": turn.role, "turns": 0, "words": 0, "samples": []})
            row["turns"] += 1
            said = text[turn.start : turn.end]
            row["words"] += len(said.split())
            add_sample(row["samples"], said)
        return rows


def pair_questions(turns: list[Turn], text: str) -> list[Turn]:
    """Give each subject turn the question it answers: the last other turn asking something
    since the subject last spoke, else whatever the others said last."""
    since_last_answer: list[Turn] = []
    for turn in turns:
        if not turn.labelled:
            since_last_answer = []
            continue
        if turn.role == "other":
            since_last_answer.append(turn)
            continue
        asking = [t for t in since_last_answer if "?" in text[t.start : t.end]]
        candidates = asking or since_last_answer
        turn.question = candidates[-1] if candidates else None
        since_last_answer = []
    return turns


def cut_turns(
    text: str, lines: list[tuple[int, int]], accepted: dict[int, Candidate], headings: dict[int, str],
    named: dict[int, str], cast: Cast, current: tuple[str, str] | None, date: str | None,
) -> tuple[list[Turn], list[tuple[int, str]]]:
    """The turns, line by line: a label, a naming heading, a stage note or a timestamp closes
    the turn before it; ``current`` speaks until the first label. Also the time marks seen."""
    turns: list[Turn] = []
    locators: list[tuple[int, str]] = []
    start, labelled = None, False

    def close(end: int) -> None:
        if start is None or current is None:
            return
        s, e = trim(text, start, end)
        if s < e:
            turns.append(Turn(current[0], current[1], s, e, date, labelled=labelled))

    for i, (s, e) in enumerate(lines):
        line = text[s:e]
        if accepted and line.lstrip()[:1] in "([E" and END_MARK.match(text, s, min(len(text), s + 400)):
            close(s)
            break
        if i in accepted:
            close(s)
            candidate = accepted[i]
            current, labelled = cast.who(candidate.name), True
            start = s + candidate.rest_offset if candidate.rest else e + 1
            if candidate.stamp:
                locators.append((start, candidate.stamp))
        elif i in headings or (line[:8].lstrip()[:1] in MARKS and MARKUP.match(line)) or (
            accepted and line.isupper() and CAPS_TITLE.match(line)
        ):
            close(s)
            start = e + 1
            if i in named:
                current, labelled = cast.who(named[i]), False
            if i in headings:
                dated = HEADING_DATE.match(headings[i].strip())
                date = dated.group(1) if dated else date
        elif line[:12].lstrip()[:1] in "([" and STAGE_LINE.match(line) and not STAMP_LINE.match(line):
            close(s)  # "(Laughter.)" on its own line is nobody's words
            start = e + 1
        elif line[:12].lstrip()[:1] in STAMPS and CLOCK_LINE.match(line):
            close(s)  # "1:44 P.M. EDT": when the briefing began or ended, nobody's words
            start = e + 1
        elif (stamp := STAMP_LINE.match(line) if line[:12].lstrip()[:1] in STAMPS else None) is not None:
            close(s)
            start = e + 1
            locators.append((start, clock(stamp.group("stamp"))))
        else:
            if start is None:
                start = s
            leading = LEADING_STAMP.match(line) if line[:4].lstrip()[:1] in "[(0123456789" else None
            if leading and leading["bare"]:  # "0:37:56.2 And then...": her next paragraph, at that time
                close(s)
                start = s + leading.end()
                locators.append((start, clock(leading.group("stamp"))))
            elif leading:
                locators.append((s, clock(leading.group("stamp"))))
    else:
        close(len(text))
    return turns, locators
