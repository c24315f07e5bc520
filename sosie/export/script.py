"""An actor's script of an interview: a Fountain screenplay, and a PDF of it.

Productions film an actor reading the double's lines; the script says on its title page, in
an on-screen SUPER and in the character cue itself that those lines are a simulation.

Citations. Each ``[n]`` marker of an answer becomes an inline Fountain note ``[[k]]`` after the
sentence it supports, where ``k`` numbers the passage across the whole script; a note after
the speech lists that speech's sources (file, date, locator, lines); and a printed SOURCES
page at the end names every cited passage with its full path, title, speaker, date, position
and the answer (and its opening words) that cites it. Notes never print, so an actor's page
shows clean dialogue while the SOURCES page keeps the provenance visible on paper.

Fountain markup in the text taken from the record (questions, answers, names, paths) is
made inert: whitespace is collapsed so a speech stays one line (a blank line would end the
element, a new line could start another); ``*`` and ``_`` get Fountain's backslash escape
(emphasis, and the ``/* */`` boneyard); ``[[`` and ``]]``, which Fountain cannot escape, are
written ``[ [`` and ``] ]`` so no text is hidden as a note; a speech that begins with ``(`` or
``~`` (a parenthetical or a lyric) gets a backslash before it; and lines the script makes
from such text (the SUPER, the sources) are forced action with ``!``.

A panel (:mod:`sosie.export.conversation`) is scripted the same way, one character per
double, each cue marked SIMULATED; a real participant's cue is their name. The PDF is made from
the same elements by :mod:`sosie.export.script_pdf`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sosie.corpus.text import one_line
from sosie.engines.base import Citation, model_note, tidy
from sosie.errors import SosieError
from sosie.export.conversation import Conversation, Voice, from_interview, interview_record, join_names
from sosie.files import atomic_replace

if TYPE_CHECKING:
    from sosie.workspace import Workspace

SCENE = "INT. INTERVIEW ROOM - DAY"
OPENING_WORDS = 8  # words of the cited sentence quoted on the SOURCES page
# "[1]", "[1, 2]", "[2-4]" with the space before them: the engines' citation markers
MARKER = re.compile(r"\s*\[(\d+(?:\s*[-–,]\s*\d+)*)\]")


# -- citation markers ----------------------------------------------------------------------------
def _marker_numbers(group: str) -> list[int]:
    """``"1, 3-4"`` -> ``[1, 3, 4]``."""
    numbers: list[int] = []
    for part in re.split(r"\s*,\s*", group):
        ends = [int(end) for end in re.split(r"\s*[-–]\s*", part)]
        if not 0 <= ends[-1] - ends[0] <= 100:  # "[3-1]", "[1-9999]": quoted words, not a marker
            return []
        numbers += range(ends[0], ends[-1] + 1)
    return numbers


def cited_segments(text: str, cited: set[int]) -> list[tuple[str, list[int]]]:
    """The answer cut at its citation markers: ``[(text, numbers of the markers after it)]``.

    Only markers naming one of the answer's own citations are taken out, so a bracketed number
    that is part of the quoted words stays where it is.
    """
    segments: list[tuple[str, list[int]]] = []
    pos = 0
    for match in MARKER.finditer(text):
        numbers = _marker_numbers(match.group(1))
        if not numbers or not set(numbers) <= cited:
            continue
        piece = text[pos:match.start()]
        if piece.strip() or not segments:
            segments.append((piece, numbers))
        else:  # "[1] [2]": both markers belong to the same sentence
            segments[-1][1].extend(numbers)
        pos = match.end()
    segments.append((text[pos:], []))
    return [(tidy(piece), numbers) for piece, numbers in segments if tidy(piece) or numbers]


def spoken_text(exchange: dict) -> str:
    """What the double says aloud: the answer without its citation markers, nothing else lost."""
    cited = {c["n"] for c in exchange.get("citations", [])}
    return " ".join(piece for piece, _ in cited_segments(exchange["text"], cited) if piece)


# -- the script as elements ------------------------------------------------------------------------
@dataclass
class Speech:
    cue: str
    segments: list[tuple[str, list[int]]]  # text, then the script-wide numbers of its sources
    note: str = ""  # the speech's sources (Fountain only: notes do not print)
    support: str = ""
    model: str = ""  # what produced a double's line (Fountain only: notes do not print)
    abstained: bool = False
    double: bool = False  # a simulated voice's line (a person's has no sources to note)

    @property
    def text(self) -> str:
        return " ".join(piece for piece, _ in self.segments if piece)


@dataclass
class Action:
    text: str
    centered: bool = False


@dataclass
class PageBreak:
    pass


@dataclass
class Source:
    number: int
    citation: Citation
    cited_by: dict[int, str] = field(default_factory=dict)  # answer number -> its first cited words


@dataclass
class Script:
    title_page: list[tuple[str, list[str]]]
    body: list[Speech | Action | PageBreak]


def _cue(name: str, simulated: bool = True) -> str:
    cue = f"{name.upper()} (SIMULATED)" if simulated else name.upper()
    # A cue must be upper case to be read as one; names in scripts without case are forced.
    return cue if name.upper().isupper() else "@" + cue


def _voice_cue(voice: Voice) -> str:
    return _cue(voice.name, voice.simulated)


def _opening(text: str) -> str:
    words = text.split()
    return " ".join(words[:OPENING_WORDS]) + ("…" if len(words) > OPENING_WORDS else "")


def _short_source(source: Source) -> str:
    c = source.citation
    return f"[{source.number}] {one_line(Path(c.source).name)}, {c.date or 'undated'}, {c.position}"


def _long_source(source: Source) -> str:
    c = source.citation
    title = f'"{c.title}", ' if c.title else ""
    also = f" Also in: {', '.join(c.also_in)}." if c.also_in else ""
    cited = ", ".join(f'answer {n} ("{words}")' for n, words in source.cited_by.items())
    return (
        f"[{source.number}] {one_line(c.source)} — {title}{one_line(c.speaker)}, {c.date or 'undated'}, "
        f"{c.position}. "
        f"Cited for {cited}.{also}"
    )


def _consent_line(voice: Voice, named: bool) -> str:
    consent = voice.consent or {}
    line = ("Consent" + (f" ({voice.name})" if named else "") + f": {consent.get('status')}") + (
        " (fictional subject)" if consent.get("fictional") else "")
    return line + (f" — {consent['note']}" if consent.get("note") else "")


def _title_page(conv: Conversation) -> list[tuple[str, list[str]]]:
    doubles = conv.doubles
    last = conv.lines[-1].turn.get("answered_at") or conv.started_at
    answers = [line for line in conv.lines if line.voice.simulated]
    abstained = sum(1 for line in answers if line.turn.get("abstained"))
    cues = join_names([_voice_cue(v).lstrip("@") for v in doubles])
    names = join_names([v.name for v in doubles])
    people = [v for v in conv.voices if v.kind == "human"]
    notes = [*conv.disclosures, *conv.model_notes(), *(_consent_line(v, len(doubles) > 1) for v in doubles)]
    notes.append(f"Every line of {cues} is a simulation built from the recorded words of {names}; "
                 f"{'they' if len(doubles) > 1 else names} did not give this "
                 f"{conv.kind}. Perform the lines as a simulation, never as the real person.")
    notes += [f"{_voice_cue(v).lstrip('@')} is a real person taking part; those lines are their own."
              for v in people]
    notes.append(f"{conv.kind.capitalize()} {conv.number}, started {conv.started_at}, engine {conv.engine}: "
                 f"{len(answers)} answers, {abstained} abstained.")
    return [
        ("Title", [conv.title]),
        ("Credit", [f"A simulated {conv.kind}, scripted by"]),
        ("Author", ["Sosie"]),
        ("Source", [conv.disclosure]),
        ("Draft date", [last[:10]]),
        ("Notes", notes),
    ]


def script_of(conv: Conversation) -> Script:
    """An interview or a panel as script elements: one character per voice, each double's
    line with its own sources, and one SOURCES page naming whose words each passage is."""
    sources: dict[tuple, Source] = {}  # one number per passage, however often it is cited
    doubles = conv.doubles
    people = [_voice_cue(v).lstrip("@") for v in conv.voices if v.kind == "human"]
    faces = ("An INTERVIEWER faces" if conv.kind == "interview"
             else f"A MODERATOR and {join_names(people)} face" if people else "A MODERATOR faces")
    body: list[Speech | Action | PageBreak] = [Action(f"SUPER: {d}") for d in conv.disclosures]
    body.append(Action(f"{faces} {join_names([_voice_cue(v).lstrip('@') for v in doubles])}: "
                       f"{'actors' if len(doubles) > 1 else 'an actor'} performing "
                       f"simulation{'s' if len(doubles) > 1 else ''} built from the recorded words of "
                       f"{join_names([v.name for v in doubles])}."))
    answer_no = 0
    for line in conv.lines:
        cue = _voice_cue(line.voice)
        if not line.voice.simulated:
            body.append(Speech(cue, [(tidy(line.text), [])]))
            continue
        answer_no += 1
        exchange = line.turn
        by_n = {c["n"]: Citation(**c) for c in exchange.get("citations", [])}
        local_to_global: dict[int, int] = {}
        segments: list[tuple[str, list[int]]] = []
        for piece, numbers in cited_segments(exchange["text"], set(by_n)):
            script_numbers = []
            for n in numbers:
                c = by_n[n]
                source = sources.setdefault((c.source, c.start, c.end), Source(len(sources) + 1, c))
                source.cited_by.setdefault(answer_no, _opening(piece))
                local_to_global[n] = source.number
                script_numbers.append(source.number)
            segments.append((piece, script_numbers))
        by_number = {s.number: s for s in sources.values()}
        note = "; ".join(_short_source(by_number[k]) for k in sorted(set(local_to_global.values())))
        support = ""
        if exchange.get("support") and exchange.get("engine") != "quote":  # quotes are verbatim
            support = ", ".join(s["tag"] for s in exchange["support"])
        body.append(Speech(cue, segments, note, support, model_note(exchange.get("model")),
                           abstained=bool(exchange.get("abstained")), double=True))
    body += [PageBreak(), Action("SOURCES", centered=True)]
    body += [Action(_long_source(s)) for s in sources.values()] or [
        Action("No line of a double cites a source: every question was abstained from.")]
    return Script(_title_page(conv), body)


# -- Fountain --------------------------------------------------------------------------------------
def _inert(text: str) -> str:
    """``text`` on one line with Fountain's markup made literal (see the module docstring)."""
    text = re.sub(r"([*_])", r"\\\1", tidy(text))
    return text.replace("[[", "[ [").replace("]]", "] ]")


def _dialogue_line(speech: Speech) -> str:
    parts = []
    for piece, numbers in speech.segments:
        parts.append(_inert(piece) + "".join(f"[[{k}]]" for k in numbers))
    line = " ".join(part for part in parts if part)
    # A dialogue line opening with "(" is a parenthetical and with "~" a lyric.
    return "\\" + line if line.startswith(("(", "~")) else line


def _fountain_element(element: Speech | Action | PageBreak) -> str:
    if isinstance(element, PageBreak):
        return "==="
    if isinstance(element, Action):
        return f"> {_inert(element.text)} <" if element.centered else "!" + _inert(element.text)
    lines = [_inert(element.cue), _dialogue_line(element)]
    if element.note:
        lines += ["", f"[[Sources: {_inert(element.note)}]]"]
    elif element.abstained:
        lines += ["", "[[No sources: the double abstained; nothing in the recorded words covers this.]]"]
    elif element.double:
        lines += ["", "[[No sources: nothing in this answer is cited.]]"]
    if element.support:
        lines += ["", f"[[Support, sentence by sentence: {_inert(element.support)}.]]"]
    if element.model:
        lines += ["", f"[[{_inert(element.model)}]]"]
    return "\n".join(lines)


def _fountain_title_page(title_page: list[tuple[str, list[str]]]) -> str:
    lines = []
    for key, values in title_page:
        if len(values) == 1:
            lines.append(f"{key}: {_inert(values[0])}")
        else:  # a value of several lines: each one indented under its key
            lines.append(f"{key}:")
            lines += [f"    {_inert(value)}" for value in values]
    return "\n".join(lines)


def fountain(workspace: Workspace, interview_id: int | None = None) -> str:
    """The interview (default: the latest) as a Fountain screenplay for an actor to perform."""
    return fountain_of(from_interview(interview_record(workspace, interview_id)))


def fountain_of(conv: Conversation) -> str:
    """An interview or a panel as Fountain text."""
    script = script_of(conv)
    blocks = [_fountain_title_page(script.title_page), SCENE]
    blocks += [_fountain_element(element) for element in script.body]
    return "\n\n".join(blocks) + "\n"


# -- files -----------------------------------------------------------------------------------------
def replace_atomically(path: Path, write) -> Path:
    """``write(tmp)`` then rename over ``path``, so a reader never sees half a file."""
    path = Path(path)
    if not path.parent.is_dir():
        raise SosieError(f"cannot write {path}: the folder {path.parent} does not exist")
    try:
        return atomic_replace(path, write, mode=None)  # an export: the umask decides who may read it
    except OSError as exc:
        raise SosieError(f"cannot write {path}: {exc.strerror or exc}") from exc


def write_script(workspace: Workspace, path: Path, interview_id: int | None = None) -> Path:
    """Write the script as ``.fountain`` text or as a ``.pdf``; the suffix chooses."""
    return write_script_of(from_interview(interview_record(workspace, interview_id)), path)


def write_script_of(conv: Conversation, path: Path) -> Path:
    """Write an interview's or a panel's script, ``.fountain`` or ``.pdf`` by the suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".fountain":
        text = fountain_of(conv)
        return replace_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    if suffix == ".pdf":
        from sosie.export.script_pdf import render_pdf

        script = script_of(conv)
        return replace_atomically(path, lambda tmp: render_pdf(script, tmp))
    raise SosieError(f"cannot write a script as {path.name!r}: use a .fountain or .pdf file name")
