"""Tell the subject's words from everybody else's, and pair each answer with its question.

The frozen pre-issue-12 reader (``sosie/corpus/speakers.py`` as of cf5f151, the parent of the
issue-12 rewrite), kept only as the baseline of ``bench/speakers.py``; Sosie never imports it.

A transcript is a file whose lines start with speaker labels (``MAYA CHEN:``, ``Q:``/``A:``,
``INTERVIEWER:``). Anything else is a monologue (essay, talk, post): all of it belongs to
its author, the subject unless the front matter names somebody else.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from sosie.corpus.readers import SourceText

NAME = r"[A-Z][A-Za-z.'’\-]*(?:[ ][A-Z][A-Za-z.'’\-]*){0,3}"
# NAME:  **NAME:**  **NAME**:  [NAME]:  and [NAME] on its own
LABEL = re.compile(
    rf"^[ \t]*(?:\[(?P<bracketed>{NAME})\][ \t]*:?|(?:\*\*)?(?P<plain>{NAME})(?:\*\*)?[ \t]*:(?:\*\*)?)"
    r"(?:[ \t]+|$)",
    re.M,
)


def label_of(match: re.Match) -> str:
    return match.group("bracketed") or match.group("plain")
HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]+(?P<title>.*)$", re.M)
HEADING_DATE = re.compile(r"^(\d{4}(?:-\d{2}(?:-\d{2})?)?)\b")
MARKUP_LINE = re.compile(r"^[ \t]*(?:#{1,6}[ \t].*|```.*|~~~.*|(?:-{3,}|\*{3,}|_{3,})[ \t]*)$", re.M)
ANSWER_LABELS = {"a", "answer"}


def normalise_name(label: str) -> str:
    """``"ROWAN_ADLER"``, ``"Rowan Adler:"`` and ``"rowan adler"`` are one name."""
    return " ".join(re.sub(r"[\W_]+", " ", label.lower()).split())


@dataclass(frozen=True)
class Subject:
    """Recognises the subject's labels: full name, aliases, first or last name, ``A:``."""

    name: str
    aliases: tuple[str, ...] = ()

    def keys(self) -> set[str]:
        names = [self.name, *self.aliases]
        keys = {normalise_name(n) for n in names} | ANSWER_LABELS
        parts = normalise_name(self.name).split()
        if len(parts) >= 2:
            keys |= {parts[0], parts[-1]}
        return {k for k in keys if k}

    def is_subject(self, label: str) -> bool:
        return normalise_name(label) in self.keys()


@dataclass
class Turn:
    speaker: str
    role: str  # "subject" or "other"
    start: int
    end: int
    date: str | None = None
    question: Turn | None = None


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _speaker_labels(text: str, start: int, subject: Subject) -> list[re.Match]:
    """Label lines that really are speaker turns: ALL-CAPS, the subject, or repeated labels."""
    found = list(LABEL.finditer(text, start))
    counts = Counter(normalise_name(label_of(m)) for m in found)

    def real(m: re.Match) -> bool:
        label = label_of(m)
        letters = re.sub(r"[^A-Za-z]", "", label)
        return (
            subject.is_subject(label)
            or (letters.isupper() and len(letters) >= 2)
            or counts[normalise_name(label)] >= 2
        )

    real_labels = [m for m in found if real(m)]
    distinct = {normalise_name(label_of(m)) for m in real_labels}
    has_subject = any(subject.is_subject(label_of(m)) for m in real_labels)
    if len(real_labels) >= 2 and (len(distinct) >= 2 or has_subject):
        return real_labels
    return []


def _transcript_turns(source: SourceText, labels: list[re.Match], subject: Subject) -> list[Turn]:
    text, turns = source.text, []
    for i, match in enumerate(labels):
        end = labels[i + 1].start() if i + 1 < len(labels) else len(text)
        s, e = _trim(text, match.end(), end)
        if s >= e:
            continue
        label = label_of(match)
        role = "subject" if subject.is_subject(label) else "other"
        if normalise_name(label) in ANSWER_LABELS:  # "A:" is the subject; cite them by name
            label = subject.name
        turns.append(Turn(speaker=label, role=role, start=s, end=e, date=source.date))
    return pair_questions(turns, text)


def pair_questions(turns: list[Turn], text: str) -> list[Turn]:
    """Give each subject turn the question it answers: the last other turn asking something
    since the subject last spoke, else whatever the others said last."""
    since_last_answer: list[Turn] = []
    for turn in turns:
        if turn.role == "other":
            since_last_answer.append(turn)
            continue
        asking = [t for t in since_last_answer if "?" in text[t.start : t.end]]
        # the last question asked since the subject last spoke; else whatever was said last
        candidates = asking or since_last_answer
        turn.question = candidates[-1] if candidates else None
        since_last_answer = []
    return turns


def _monologue_turns(source: SourceText, subject: Subject) -> list[Turn]:
    """One turn per stretch between headings; a heading starting with a date dates what follows."""
    text = source.text
    author = str(source.meta.get("speaker") or source.meta.get("author") or "").strip()
    role = "other" if author and not subject.is_subject(author) else "subject"
    speaker = author or subject.name
    date = source.date
    turns, cursor = [], source.body_start
    for line in MARKUP_LINE.finditer(text, source.body_start):
        s, e = _trim(text, cursor, line.start())
        if s < e:
            turns.append(Turn(speaker=speaker, role=role, start=s, end=e, date=date))
        heading = HEADING.match(line.group())
        if heading:
            dated = HEADING_DATE.match(heading.group("title").strip())
            if dated:
                date = dated.group(1)
        cursor = line.end()
    s, e = _trim(text, cursor, len(text))
    if s < e:
        turns.append(Turn(speaker=speaker, role=role, start=s, end=e, date=date))
    return turns


def split_turns(source: SourceText, subject: Subject) -> tuple[str, list[Turn]]:
    """Return ``(kind, turns)`` where kind is ``"transcript"`` or ``"monologue"``."""
    if source.turns is not None:  # a structured format (chat export) knows its speakers
        turns = [
            Turn(speaker=speaker or subject.name,
                 role="subject" if speaker is None or subject.is_subject(speaker) else "other",
                 start=start, end=end, date=date or source.date)
            for speaker, start, end, date in source.turns
        ]
        return "transcript", pair_questions(turns, source.text)
    labels = _speaker_labels(source.text, source.body_start, subject)
    if labels:
        return "transcript", _transcript_turns(source, labels, subject)
    return "monologue", _monologue_turns(source, subject)
