"""Subtitles of an interview (SubRip and WebVTT), timed from a speaking rate.

Nothing was recorded, so the timings are an estimate for an actor's reading: a cue lasts as
long as its words take at ``words_per_minute`` (at least a second, so a short one can be
read), turns are ``gap_s`` apart, and cues of one speech follow each other two frames apart.
Cues keep to common subtitle limits: at most two lines of about 42 characters and about
seven seconds; longer speeches are cut at sentence ends where they can be, else into even
pieces. The first cue is the disclosure, on screen for at least four seconds; the next names
the model(s) that produced the answers (see ``model_label``). Every cue of
the double is labelled simulated: ``<v Simulated NAME>`` in WebVTT, ``SIMULATED NAME:`` in
SRT. Citation markers are left out (the script and the transcript carry them), nothing else.

WebVTT text escapes ``&``, ``<`` and ``>``; SRT has no escapes and players read ``<...>`` as
tags, so there ``<`` and ``>`` are written ``‹`` and ``›``.
"""

from __future__ import annotations

import html
import io
import math
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import webvtt

from sosie.engines.base import tidy
from sosie.errors import SosieError
from sosie.export.conversation import Conversation, Voice, from_interview, interview_record
from sosie.export.script import replace_atomically, spoken_text

if TYPE_CHECKING:
    from sosie.workspace import Workspace

FORMATS = ("srt", "vtt")
LINE_CHARS = 42
MAX_LINES = 2
MAX_CUE_S = 7.0
MIN_CUE_S = 1.0  # below this a cue flashes past before it can be read
DISCLOSURE_MIN_S = 4.0
MODELS_MIN_S = 3.0  # the cue after the disclosure that names the models behind the answers
SAME_SPEAKER_GAP_S = 0.08  # two frames at 25 fps: the player shows a new cue, the voice runs on
# A sentence ends at . ! ? or … (perhaps followed by a closing quote or bracket) and a space.
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|(?<=[.!?…][\"'”’)\]])\s+")


@dataclass
class Cue:
    start_ms: int
    end_ms: int
    speaker: str | None  # None for the disclosure, which nobody says
    text: str


def _srt_prefix(speaker: str) -> str:
    return f"{speaker.upper()}: "


# -- cutting speeches into cues --------------------------------------------------------------------
def _fits(words: list[str], max_words: int, max_chars: int) -> bool:
    return len(words) <= max_words and len(" ".join(words)) <= max_chars


def _even_pieces(words: list[str], max_words: int, max_chars: int) -> list[list[str]]:
    """A sentence too long for one cue, cut into the fewest pieces of about equal length."""
    pieces_needed = max(math.ceil(len(words) / max_words), math.ceil(len(" ".join(words)) / max_chars))
    while True:
        size = math.ceil(len(words) / pieces_needed)
        pieces = [words[i:i + size] for i in range(0, len(words), size)]
        if size == 1 or all(_fits(piece, max_words, max_chars) for piece in pieces):
            return pieces
        pieces_needed += 1


def cue_texts(text: str, max_words: int, max_chars: int) -> list[str]:
    """``text`` as the texts of consecutive cues, whole sentences together where they fit."""
    cues: list[list[str]] = []
    current: list[str] = []
    for sentence in SENTENCE_END.split(tidy(text)):
        words = sentence.split()
        if not words:
            continue
        if current and _fits(current + words, max_words, max_chars):
            current += words
            continue
        if current:
            cues.append(current)
        pieces = [words] if _fits(words, max_words, max_chars) else _even_pieces(words, max_words, max_chars)
        cues += pieces[:-1]
        current = pieces[-1]  # the last piece may take the next sentence along
    if current:
        cues.append(current)
    return [" ".join(words) for words in cues]


def _two_lines(text: str, first_line_prefix: str = "") -> list[str]:
    """One line if it fits, else two of about equal length (the prefix starts the first)."""
    if len(first_line_prefix + text) <= LINE_CHARS or " " not in text:
        return [text]
    spaces = [i for i, char in enumerate(text) if char == " "]
    cut = min(spaces, key=lambda i: max(len(first_line_prefix) + i, len(text) - i - 1))
    return [text[:cut], text[cut + 1:]]


# -- timing ----------------------------------------------------------------------------------------
def _speaking_ms(text: str, words_per_minute: float) -> int:
    return round(len(text.split()) * 60_000 / words_per_minute)


def timeline(
    conv: Conversation, words_per_minute: float = 150.0, gap_s: float = 0.6, fmt: str = "vtt"
) -> list[Cue]:
    """The cues of an interview or a panel, timed; the first is the disclosure (and, on a
    panel, each double's own disclosure follows it), then one naming what produced the answers.

    SRT cues hold less text than WebVTT ones: the speaker's label takes room on their first line.
    """
    max_words = max(1, math.floor(MAX_CUE_S * words_per_minute / 60))
    label = max(len(_srt_prefix(v.label)) for v in conv.voices) if fmt == "srt" else 0
    max_chars = max(LINE_CHARS, MAX_LINES * LINE_CHARS - label)
    gap_ms, same_speaker_gap_ms = round(gap_s * 1000), round(min(gap_s, SAME_SPEAKER_GAP_S) * 1000)

    cues: list[Cue] = []
    end = -gap_ms
    for disclosure in map(tidy, conv.disclosures):
        start = end + gap_ms
        end = start + max(round(DISCLOSURE_MIN_S * 1000), _speaking_ms(disclosure, words_per_minute))
        cues.append(Cue(start, end, None, disclosure))
    if conv.models:  # then, in small print's place, what produced the answers
        models = f"Answers: {'; '.join(conv.models)}."
        start = end + gap_ms
        end = start + max(round(MODELS_MIN_S * 1000), _speaking_ms(models, words_per_minute))
        cues.append(Cue(start, end, None, models))
    for line in conv.lines:
        text = spoken_text(line.turn) if line.voice.simulated else line.text
        start = end + gap_ms
        for i, piece in enumerate(cue_texts(text, max_words, max_chars)):
            start += same_speaker_gap_ms if i else 0
            end = start + max(round(MIN_CUE_S * 1000), _speaking_ms(piece, words_per_minute))
            cues.append(Cue(start, end, line.voice.label, piece))
            start = end
    return cues


# -- formats ---------------------------------------------------------------------------------------
def _timestamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _vtt_lines(cue: Cue) -> list[str]:
    if cue.speaker is None:
        return [html.escape(line, quote=False) for line in _wrapped(cue.text)]
    lines = [html.escape(line, quote=False) for line in _two_lines(cue.text)]
    lines[0] = f"<v {html.escape(cue.speaker, quote=False)}>{lines[0]}"
    return lines


def _srt_lines(cue: Cue) -> list[str]:
    def plain(text: str) -> str:
        return text.replace("<", "‹").replace(">", "›")

    if cue.speaker is None:
        return [plain(line) for line in _wrapped(cue.text)]
    prefix = _srt_prefix(cue.speaker)
    lines = [plain(line) for line in _two_lines(cue.text, prefix)]
    lines[0] = prefix + lines[0]
    return lines


def _wrapped(text: str) -> list[str]:
    """The disclosure (and the models' line) is shown whole, on as many lines as it takes."""
    return textwrap.wrap(text, LINE_CHARS) or [text]


def _check_options(fmt: str, words_per_minute: float, gap_s: float) -> None:
    if fmt not in FORMATS:
        raise SosieError(f"unknown subtitle format {fmt!r}; use srt or vtt")
    if not (isinstance(words_per_minute, int | float) and math.isfinite(words_per_minute)
            and words_per_minute > 0):
        raise SosieError(f"words per minute must be a number above 0 (e.g. 150), not {words_per_minute!r}")
    if not (isinstance(gap_s, int | float) and math.isfinite(gap_s) and gap_s >= 0):
        raise SosieError(f"the gap between turns must be 0 seconds or more, not {gap_s!r}")


def subtitles(
    workspace: Workspace,
    interview_id: int | None = None,
    fmt: str = "srt",
    words_per_minute: float = 150.0,
    gap_s: float = 0.6,
) -> str:
    """The interview (default: the latest) as SRT or WebVTT text, timed at the speaking rate."""
    _check_options(fmt, words_per_minute, gap_s)
    conversation = from_interview(interview_record(workspace, interview_id))
    return subtitles_of(conversation, fmt, words_per_minute, gap_s)


def subtitles_of(conv: Conversation, fmt: str = "srt", words_per_minute: float = 150.0,
                 gap_s: float = 0.6) -> str:
    """An interview or a panel as SRT or WebVTT text."""
    _check_options(fmt, words_per_minute, gap_s)
    captions = [
        webvtt.Caption(
            _timestamp(cue.start_ms), _timestamp(cue.end_ms),
            _vtt_lines(cue) if fmt == "vtt" else _srt_lines(cue),
        )
        for cue in timeline(conv, words_per_minute, gap_s, fmt)
    ]
    note = (
        f"Subtitles of {conv.what}. "
        + " ".join(tidy(d) for d in conv.disclosures) + " "
        + "".join(tidy(m) + " " for m in conv.model_notes())
        + "".join(_consent(v, len(conv.doubles) > 1) for v in conv.doubles)
        + f"Timings are estimated at {words_per_minute:g} words per minute, not measured."
    ).replace("-->", "->")  # "-->" would end a WebVTT comment
    out = io.StringIO()
    webvtt.WebVTT(captions=captions, header_comments=[note]).write(out, format=fmt)
    return out.getvalue().rstrip("\n") + "\n"


def write_subtitles(
    workspace: Workspace,
    path: Path,
    interview_id: int | None = None,
    words_per_minute: float = 150.0,
    gap_s: float = 0.6,
) -> Path:
    """Write ``.srt`` or ``.vtt`` subtitles of the interview; the suffix chooses the format."""
    return write_subtitles_of(from_interview(interview_record(workspace, interview_id)), path,
                              words_per_minute, gap_s)


def write_subtitles_of(conv: Conversation, path: Path, words_per_minute: float = 150.0,
                       gap_s: float = 0.6) -> Path:
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise SosieError(f"cannot write subtitles as {path.name!r}: use a .srt or .vtt file name")
    text = subtitles_of(conv, fmt, words_per_minute, gap_s)
    return replace_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _consent(voice: Voice, named: bool) -> str:
    consent = voice.consent or {}
    if not consent.get("status"):
        return ""
    note = f" ({tidy(consent['note'])})" if consent.get("note") else ""
    who = f" of {voice.name}" if named else ""
    return f"Consent{who}: {consent['status']}{note}. "
