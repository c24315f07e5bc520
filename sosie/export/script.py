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

The PDF is laid out by screenplain (Courier Prime, standard screenplay margins) from the
same elements as the Fountain text, not by parsing it back, because screenplain implements
only the ``\\*`` escape: an underscore in a path would otherwise come out underlined.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sosie.engines.base import Citation, tidy
from sosie.errors import SosieError
from sosie.files import atomic_replace
from sosie.interview import transcript

if TYPE_CHECKING:
    from sosie.workspace import Workspace

INTERVIEWER = "INTERVIEWER"
SCENE = "INT. INTERVIEW ROOM - DAY"
OPENING_WORDS = 8  # words of the cited sentence quoted on the SOURCES page
# "[1]", "[1, 2]", "[2-4]" with the space before them: the engines' citation markers
MARKER = re.compile(r"\s*\[(\d+(?:\s*[-–,]\s*\d+)*)\]")


# -- the stored record ----------------------------------------------------------------------------
def interview_record(persona: Workspace, interview_id: int | None = None) -> dict:
    """The interview as its stored JSON transcript; refuses one with nothing said yet."""
    record = json.loads(transcript(persona, interview_id, "json"))
    if not record["exchanges"]:
        raise SosieError(
            f"interview {record['interview']} of persona {persona.slug!r} has no exchanges yet; "
            f"ask a question first: sosie interview {persona.slug}"
        )
    return record


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
    abstained: bool = False

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


def _cue(name: str) -> str:
    cue = f"{name.upper()} (SIMULATED)"
    # A cue must be upper case to be read as one; names in scripts without case are forced.
    return cue if name.upper().isupper() else "@" + cue


def _opening(text: str) -> str:
    words = text.split()
    return " ".join(words[:OPENING_WORDS]) + ("…" if len(words) > OPENING_WORDS else "")


def _short_source(source: Source) -> str:
    c = source.citation
    return f"[{source.number}] {Path(c.source).name}, {c.date or 'undated'}, {c.position}"


def _long_source(source: Source) -> str:
    c = source.citation
    title = f'"{c.title}", ' if c.title else ""
    also = f" Also in: {', '.join(c.also_in)}." if c.also_in else ""
    cited = ", ".join(f'answer {n} ("{words}")' for n, words in source.cited_by.items())
    return (
        f"[{source.number}] {c.source} — {title}{c.speaker}, {c.date or 'undated'}, {c.position}. "
        f"Cited for {cited}.{also}"
    )


def _title_page(record: dict, persona: Workspace, cue: str) -> list[tuple[str, list[str]]]:
    config = persona.config
    consent = f"Consent: {config.consent}" + (" (fictional subject)" if config.fictional else "")
    consent += f" — {config.consent_note}" if config.consent_note else ""
    exchanges = record["exchanges"]
    last = exchanges[-1].get("answered_at") or record["started_at"]
    abstained = sum(1 for e in exchanges if e.get("abstained"))
    return [
        ("Title", [f"Interview with a simulation of {config.name}"]),
        ("Credit", ["A simulated interview, scripted by"]),
        ("Author", ["Sosie"]),
        ("Source", [record["disclosure"]]),
        ("Draft date", [last[:10]]),
        ("Notes", [
            record["disclosure"],
            consent,
            f"Every line of {cue.lstrip('@')} is a simulation built from {config.name}'s recorded "
            f"words; {config.name} did not give this interview. Perform the lines as a simulation, "
            "never as the real person.",
            f"Interview {record['interview']}, started {record['started_at']}, engine {record['engine']}: "
            f"{len(exchanges)} exchanges, {abstained} abstained.",
        ]),
    ]


def build_script(persona: Workspace, interview_id: int | None = None) -> Script:
    """The interview as script elements, shared by the Fountain text and the PDF."""
    record = interview_record(persona, interview_id)
    cue = _cue(record["name"])
    sources: dict[tuple, Source] = {}  # one number per passage, however often it is cited
    body: list[Speech | Action | PageBreak] = [
        Action(f"SUPER: {record['disclosure']}"),
        Action(f"An INTERVIEWER faces {cue.lstrip('@')}: an actor performing a simulation built "
               f"from {record['name']}'s recorded words."),
    ]
    for answer_no, exchange in enumerate(record["exchanges"], start=1):
        body.append(Speech(INTERVIEWER, [(tidy(exchange["question"]), [])]))
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
        body.append(Speech(cue, segments, note, support, abstained=bool(exchange.get("abstained"))))
    body += [PageBreak(), Action("SOURCES", centered=True)]
    body += [Action(_long_source(s)) for s in sources.values()] or [
        Action("No line of the double cites a source: every question was abstained from.")]
    return Script(_title_page(record, persona, cue), body)


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
    elif element.cue != INTERVIEWER:
        lines += ["", "[[No sources: nothing in this answer is cited.]]"]
    if element.support:
        lines += ["", f"[[Support, sentence by sentence: {_inert(element.support)}.]]"]
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


def fountain(persona: Workspace, interview_id: int | None = None) -> str:
    """The interview (default: the latest) as a Fountain screenplay for an actor to perform."""
    script = build_script(persona, interview_id)
    blocks = [_fountain_title_page(script.title_page), SCENE]
    blocks += [_fountain_element(element) for element in script.body]
    return "\n\n".join(blocks) + "\n"


# -- PDF -------------------------------------------------------------------------------------------
def _screenplay(script: Script):
    """screenplain's model of the script, its strings plain text (no emphasis parsing)."""
    from screenplain import types
    from screenplain.richstring import plain

    class PlainTitlePage(types.Screenplay):
        # screenplain parses title-page values for emphasis; ours are plain text.
        def get_rich_attribute(self, name, default=()):
            return [plain(value) for value in self.title_page.get(name, [])] or list(default)

    title_page = dict(script.title_page)
    # screenplain prints no Notes; the lower-left block where Contact goes carries them instead.
    title_page["Contact"] = title_page.pop("Notes")
    title_page["Subject"] = title_page["Source"]  # the disclosure, in the PDF's own metadata too
    paragraphs: list = [types.Slug(plain(SCENE))]
    for element in script.body:
        if isinstance(element, PageBreak):
            paragraphs.append(types.PageBreak())
        elif isinstance(element, Action):
            paragraphs.append(types.Action([plain(element.text)], centered=element.centered))
        else:
            dialog = types.Dialog(plain(element.cue.lstrip("@")))
            dialog.blocks.append((False, plain(element.text)))  # never a parenthetical
            paragraphs.append(dialog)
    return PlainTitlePage(title_page, paragraphs)


def _render_pdf(script: Script, path: Path) -> None:
    from screenplain.export.pdf import to_pdf

    to_pdf(_screenplay(script), str(path))


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


def write_script(persona: Workspace, path: Path, interview_id: int | None = None) -> Path:
    """Write the script as ``.fountain`` text or as a ``.pdf``; the suffix chooses."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".fountain":
        text = fountain(persona, interview_id)
        return replace_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    if suffix == ".pdf":
        script = build_script(persona, interview_id)
        return replace_atomically(path, lambda tmp: _render_pdf(script, tmp))
    raise SosieError(f"cannot write a script as {path.name!r}: use a .fountain or .pdf file name")
