"""Tell the subject's words from everybody else's, and pair each answer with its question.

A transcript is a file whose turns start with speaker labels, in any of the conventions of
:mod:`sosie.corpus.labels` (``MAYA CHEN:``, ``Maya Chen (00:00:05):`` on its own line,
``Senator JONES.``, ``Q.``/``A.``, ``## Live demo - Maya Chen``...). Anything else is a
monologue (essay, talk, post): all of it belongs to its author, the subject unless the front
matter names somebody else. A file that names two or more people in label positions is never
silently read as a monologue: it is parsed as a transcript or refused with what was seen.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping

from sosie.corpus.grammar import FIX, WEAK, convention, judge, lines_of, refuse_if_ambiguous
from sosie.corpus.grammar import accepted as accepted_labels
from sosie.corpus.labels import (
    HEADING,
    Candidate,
    candidate_at,
    heading_names,
    is_machine_label,
    name_like,
)
from sosie.corpus.names import ANSWER_LABELS, Cast, Subject, normalise_name
from sosie.corpus.readers import SourceText
from sosie.corpus.turns import Transcript, Turn, cut_turns, pair_questions
from sosie.errors import BadSource

# which reader stored a source: change it when a change to the readers would read a stored file
# differently, and `sosie add` reads every such file again (and replaces it if it now differs)
READER = "2026-12-06"


def _heading_speaker(title: str, cast: Cast, labels: set[str]) -> str | None:
    for fragment in heading_names(title):
        if cast.known(fragment) or normalise_name(fragment) in labels:
            return fragment
    for fragment in heading_names(title):
        if name_like(fragment):
            return fragment
    return None


def detect(
    source: SourceText, subject: Subject, speakers: Mapping[str, str] | None = None,
    single_speaker: bool = False, label_pattern: re.Pattern[str] | None = None,
) -> Transcript:
    """Read ``source`` as a transcript or a monologue; raise :class:`BadSource` when it names
    several people in label positions without a consistent pattern, or with too little evidence.
    ``label_pattern`` (``sosie add --label-pattern``) states the file's labels outright: every
    line it matches starts a turn of the speaker in its group ``name`` (else its first group)."""
    cast = Cast(subject, speakers)
    if source.turns is not None:  # a structured format (chat export, speech-to-text) knows its speakers
        return _structured(source, subject, cast)
    text = source.text
    author = str(source.meta.get("speaker") or source.meta.get("author") or "").strip()
    author_turn = cast.who(author) if author else (subject.name, "subject")
    lines = lines_of(text, source.body_start, label_pattern)
    found, headings = _line_labels(text, lines, single_speaker, label_pattern)
    if single_speaker:
        accepted = {}
    elif label_pattern is not None:
        accepted = found  # the user said what a label is: no judging
    else:
        accepted = accepted_labels(found, lines, text, cast)
    named = {} if single_speaker else _named_by_headings(headings, accepted, cast)
    by_heading = bool(named)
    if not accepted and not by_heading and not single_speaker:
        refuse_if_ambiguous(source, found, cast)
    # before any label, a transcript's text is nobody's; a presented talk's is its author's
    first = author_turn if (by_heading or not accepted) else None
    turns, locators = cut_turns(text, lines, accepted, headings, named, cast, first, source.date)
    if accepted or len({t.speaker for t in turns}) > 1:
        return _transcript(source, turns, locators, accepted, cast, by_heading, bool(speakers), label_pattern)
    return _monologue(source, turns, locators, found, single_speaker)


def _structured(source: SourceText, subject: Subject, cast: Cast) -> Transcript:
    """The turns a structured file (chat export, speech-to-text JSON, a recording) states."""
    stated, turns = source.turns or [], []
    labels = {label for label, *_ in stated}
    # one diarised voice and nobody said who: the file has one voice, read like a monologue
    alone = len(labels) == 1 and (only := next(iter(labels))) is not None and (
        is_machine_label(only) and not cast.known(only))
    for label, start, end, date in stated:
        speaker, role = (subject.name, "subject") if label is None or alone else cast.who(label)
        turns.append(Turn(speaker, role, start, end, date or source.date))
    confidence, evidence = _structured_confidence(source, labels, alone)
    return Transcript("transcript", str(source.meta.get("format") or "structured"),
                      pair_questions(turns, source.text), list(source.locators), confidence, evidence)


def _line_labels(text: str, lines: list[tuple[int, int]], single_speaker: bool,
                 label_pattern: re.Pattern[str] | None) -> tuple[dict[int, Candidate], dict[int, str]]:
    """The lines that look like a speaker label (by line number), and the headings' titles."""
    found: dict[int, Candidate] = {}
    headings: dict[int, str] = {}
    for i, (s, e) in enumerate(lines):
        line = text[s:e]
        heading = HEADING.match(line) if "#" in line[:8] else None
        if heading:
            headings[i] = heading.group("title")
        elif not single_speaker:
            candidate = candidate_at(line) if label_pattern is None else stated_label(label_pattern, line)
            if candidate is not None:
                found[i] = candidate
    return found, headings


def _named_by_headings(headings: dict[int, str], accepted: dict[int, Candidate],
                       cast: Cast) -> dict[int, str]:
    """The headings that name a speaker (``## Live demo - Maya Chen``), when one of them names
    the subject or a known person; else none: headings are then just headings."""
    labels = {normalise_name(c.name) for c in accepted.values()}
    named = {i: who for i, title in headings.items() if (who := _heading_speaker(title, cast, labels))}
    by_heading = any(cast.who(who)[1] == "subject" or cast.known(who) for who in named.values())
    return named if by_heading else {}


def _transcript(
    source: SourceText, turns: list[Turn], locators: list[tuple[int, str]], accepted: dict[int, Candidate],
    cast: Cast, by_heading: bool, mapped: bool, label_pattern: re.Pattern[str] | None,
) -> Transcript:
    """A file of several speakers, with how sure the reading is; refused when the evidence is
    thin and nothing (no ``--speaker``, no label naming the subject) says who the subject is."""
    if label_pattern is not None:
        confidence, evidence = 1.0, f"{len(accepted)} labels matched by --label-pattern"
    elif accepted:
        confidence, evidence = judge(accepted, cast)
    else:
        confidence, evidence = 0.8, "section headers name the speakers"
    # thin evidence is refused unless a label names the subject outright ("Ada Okafor:", not "A:")
    named_subject = any(cast.who(c.name)[1] == "subject" and normalise_name(c.name) not in ANSWER_LABELS
                        for c in accepted.values())
    subject_speaks = any(t.role == "subject" for t in turns)
    if confidence < WEAK and not mapped and not named_subject and subject_speaks:
        seen = Counter(accepted[i].name for i in accepted)
        listed = ", ".join(f"{n!r} x{k}" for n, k in seen.most_common(6))
        raise BadSource(f"{source.path}: too little evidence of whose words are whose ({evidence}; "
                        f"seen: {listed}); {FIX}, or state its labels with --label-pattern REGEX")
    return Transcript("transcript", convention(accepted, by_heading) if label_pattern is None
                      else "your --label-pattern", pair_questions(turns, source.text),
                      _merge(source.locators, locators), confidence, evidence)


def _monologue(source: SourceText, turns: list[Turn], locators: list[tuple[int, str]],
               found: dict[int, Candidate], single_speaker: bool) -> Transcript:
    """One voice: refused for subtitles whose dialogue dashes change speaker without names."""
    dashed = source.meta.get("dialogue_dashes")
    if dashed and not single_speaker:  # subtitles of a dialogue whose speakers are not named
        cues = f"{dashed} subtitle cue{'s' if dashed > 1 else ''}"
        raise BadSource(f"{source.path}: {cues} change speaker with '- ' but name nobody, so the "
                        "subject's lines cannot be told from the others'; use subtitles or a transcript "
                        "with speaker labels, or --single-speaker if it is one voice")
    near = sum(1 for c in found.values() if c.colon or c.form in ("congress", "caps", "tag", "record"))
    confidence, evidence = ((1.0, "one voice, as you said") if single_speaker else
                            (1.0, "no speaker labels") if not near else
                            (0.9 if near == 1 else 0.75, f"{near} label-like line{'s' if near > 1 else ''} "
                             "that make no pattern of turns"))
    return Transcript("monologue", "single speaker" if single_speaker else "monologue", turns,
                      _merge(source.locators, locators), confidence, evidence)


def _structured_confidence(source: SourceText, labels: set, alone: bool) -> tuple[float, str]:
    """A structured file names its speakers itself; a recording's speakers were told apart by voice."""
    heard = source.meta.get("speakers_found")
    if isinstance(heard, dict) and heard.get("separation") is not None:
        separation = float(heard["separation"])
        return (round(min(1.0, 0.5 + separation), 2),
                f"{heard.get('count')} voices told apart by ear, separation {separation:.2f}")
    if alone:
        return 0.9, "one diarised voice, read as the subject's"
    named = {label for label in labels if label is not None}
    if not named:
        return 1.0, "the file names no speakers: all of it is the author's"
    return 1.0, f"{len(named)} speaker{'s' if len(named) > 1 else ''} named in the file"


def stated_label(pattern: re.Pattern[str], line: str) -> Candidate | None:
    """The label a user's ``--label-pattern`` finds at the start of ``line``."""
    found = pattern.match(line)
    if not found:
        return None
    name = found.group("name") if "name" in pattern.groupindex else found.group(1)
    if not name or not name.strip():
        return None
    return Candidate(" ".join(name.split()), "stated", None, False, line[found.end():], found.end())


def label_pattern(text: str) -> re.Pattern[str]:
    """``--label-pattern``: compiled, with the group that holds the name, else one clear error.

    >>> label_pattern(r"(?P<name>[A-Z]+) >> ").match("SMITH >> hello")["name"]
    'SMITH'
    """
    try:
        compiled = re.compile(text)
    except re.error as exc:
        raise BadSource(f"--label-pattern {text!r}: not a regular expression ({exc})") from exc
    if not compiled.groups:
        raise BadSource(f"--label-pattern {text!r}: put the speaker's name in a group, e.g. "
                        r"'^(?P<name>[A-Z][A-Z ]+) >> '")
    if compiled.match(""):
        raise BadSource(f"--label-pattern {text!r}: it matches an empty line, so every line would be a label")
    return compiled


def _merge(first: list[tuple[int, str]], second: list[tuple[int, str]]) -> list[tuple[int, str]]:
    return sorted(set(first) | set(second)) if first else second
