"""The actor's script (Fountain, PDF) and the subtitles (SRT, WebVTT) of a real stored interview.

The Fountain text is read back with screenplain's parser, the PDF with pypdf and the subtitles
with webvtt-py; what they must hold is worked out here from the stored JSON transcript.
"""

from __future__ import annotations

import html
import io
import json
import re
from itertools import pairwise
from pathlib import Path

import pytest
import webvtt
from pypdf import PdfReader
from screenplain.parsers.fountain import parse
from screenplain.types import Action, Dialog, Slug

from sosie import Persona
from sosie.corpus.store import now
from sosie.engines.base import Answer, Citation
from sosie.errors import SosieError
from sosie.export.script import fountain, write_script
from sosie.export.subtitles import subtitles, write_subtitles
from sosie.interview.records import InterviewRecords

QUESTIONS = [
    "What do you think about trains?",
    "Tell me about your library.",
    "What is the boiling point of tungsten?",  # nothing in the corpus: the double abstains
]
DOUBLE = "ROWAN ADLER (SIMULATED)"
MARKER = re.compile(r"\s*\[(\d+)\]")


@pytest.fixture(scope="module")
def interview(rowan) -> dict:
    """A fresh interview with the real quote engine, as its stored JSON transcript."""
    session = rowan.interview("quote")
    for question in QUESTIONS:
        session.ask(question)
    record = json.loads(rowan.transcript(session.id, "json"))
    assert [e["abstained"] for e in record["exchanges"]] == [False, False, True]
    return record


def words(text: str) -> str:
    return " ".join(text.split())


def spoken(exchange: dict) -> str:
    """The answer as said aloud: its text without the [n] citation markers."""
    return words(MARKER.sub("", exchange["text"]))


def paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()]


def source_entries(text: str) -> dict[int, str]:
    """The printed SOURCES page: number -> the whole entry."""
    tail = text.split("> SOURCES <", 1)[1]
    return {int(m.group(1)): m.group(0) for m in re.finditer(r"^!\[(\d+)\] .*$", tail, re.M)}


# -- Fountain --------------------------------------------------------------------------------------
def test_fountain_title_page_and_cues(rowan, interview):
    text = fountain(rowan, interview["interview"])
    screenplay = parse(io.StringIO(text))
    page = screenplay.title_page
    assert {"Title", "Credit", "Author", "Draft date", "Notes"} <= set(page)
    assert page["Title"] == ["Interview with a simulation of Rowan Adler"]
    assert page["Author"] == ["Sosie"]
    notes = page["Notes"]
    assert rowan.config.disclosure in notes  # verbatim, a line of its own
    consent = next(line for line in notes if line.startswith("Consent:"))
    assert rowan.config.consent in consent and rowan.config.consent_note in consent
    assert any("simulation built from" in line and "never as the real person" in line for line in notes)

    body = list(screenplay)
    assert isinstance(body[0], Slug)
    assert any(isinstance(p, Action) and str(p.lines[0]) == f"SUPER: {rowan.config.disclosure}"
               for p in body)
    dialogs = [p for p in body if isinstance(p, Dialog)]
    assert [str(d.character) for d in dialogs] == ["INTERVIEWER", DOUBLE] * len(QUESTIONS)
    turns = zip(dialogs[::2], dialogs[1::2], strict=True)
    for exchange, (asked, answered) in zip(interview["exchanges"], turns, strict=True):
        assert [str(line) for _, line in asked.blocks] == [exchange["question"]]
        # the performed line is the answer, word for word, its markers left in notes
        assert [(paren, words(str(line))) for paren, line in answered.blocks] == [(False, spoken(exchange))]


def test_fountain_cites_every_line_of_the_double(rowan, interview):
    text = fountain(rowan, interview["interview"])
    blocks = paragraphs(text)
    sources = source_entries(text)
    speeches = [i for i, block in enumerate(blocks) if block.startswith(DOUBLE + "\n")]
    assert len(speeches) == len(interview["exchanges"])
    for exchange, i in zip(interview["exchanges"], speeches, strict=True):
        line = blocks[i].split("\n", 1)[1]
        note = blocks[i + 1]
        inline = [int(n) for n in re.findall(r"\[\[(\d+)\]\]", line)]
        if exchange["abstained"]:
            assert exchange["text"] in line and not inline
            assert note.startswith("[[No sources") and not re.search(r"\[\d+\]", note)
            continue
        # one note per marker of the stored answer, and the note after the speech lists them all
        assert len(inline) == len(MARKER.findall(exchange["text"]))
        assert note.startswith("[[Sources: ") and note.endswith("]]")
        assert {int(n) for n in re.findall(r"\[(\d+)\]", note)} == set(inline)
        # the numbers lead to the real files of the answer's citations, with date and position
        cited = {c["source"] for c in exchange["citations"]}
        assert {sources[n].split(" — ")[0].split("] ", 1)[1] for n in inline} == cited
        for c in exchange["citations"]:
            entry = next(e for e in sources.values() if f"] {c['source']} — " in e)
            assert c["date"] in entry and "line" in entry
            assert Path(c["source"]).is_file()
            assert Path(c["source"]).name in note


def test_fountain_markup_in_the_record_stays_text(home):
    """Questions and answers that look like Fountain markup are written so they read as text."""
    persona = Persona.create("mark", "Ada Example", home=home)
    source = home / "notes_on_trains.txt"
    source.write_text("I said *no* to /* that */ and [[this]].\n", encoding="utf-8")
    citation = Citation(n=1, passage_id=1, source=str(source), title=None, speaker="Ada Example",
                        date="2020-01-02", start=0, end=39, line_start=1, line_end=1, sha256="0" * 64,
                        text="I said *no* to /* that */ and [[this]].")
    answer = Answer(question="(aside) Is _this_ **bold**?",
                    text="I said *no* to /* that */ and [[this]]. [1]", persona="mark", engine="quote",
                    disclosure=persona.config.disclosure, citations=[citation])
    interview_id = InterviewRecords(persona.store).start("quote")
    InterviewRecords(persona.store).record(interview_id, now(), answer.question, answer.to_dict())

    text = fountain(persona, interview_id)
    dialogs = [p for p in parse(io.StringIO(text)) if isinstance(p, Dialog)]
    assert [str(d.character) for d in dialogs] == ["INTERVIEWER", "ADA EXAMPLE (SIMULATED)"]
    (paren, question), = dialogs[0].blocks
    assert not paren and str(question).startswith("\\(aside)")  # not a parenthetical
    (_, line), = dialogs[1].blocks
    # the stars stay stars, the boneyard and the "note" stay in the line
    assert str(line) == "I said *no* to /* that */ and [ [this] ]."
    assert "Is \\_this\\_ \\*\\*bold\\*\\*?" in text
    assert source.name.replace("_", "\\_") in text

    pdf = write_script(persona, home / "mark.pdf", interview_id)
    printed = words(" ".join(page.extract_text() for page in PdfReader(pdf).pages))
    assert "(aside) Is _this_ **bold**?" in printed  # the PDF prints the text as it was said
    assert f"{source}".replace(" ", "") in printed.replace(" ", "")
    persona.close()


# -- PDF and files ---------------------------------------------------------------------------------
def test_pdf_shows_the_disclosure_and_the_lines(rowan, interview, tmp_path):
    out = write_script(rowan, tmp_path / "interview.pdf", interview["interview"])
    assert out.read_bytes().startswith(b"%PDF")
    pages = [words(page.extract_text()) for page in PdfReader(out).pages]
    assert rowan.config.disclosure in pages[0]  # the title page
    text = " ".join(pages)
    first = spoken(interview["exchanges"][0])
    assert " ".join(first.split()[:8]) in text
    cited = interview["exchanges"][1]["citations"][0]["source"]
    assert "SOURCES" in text and cited.replace(" ", "") in text.replace(" ", "")

    fountain_file = write_script(rowan, tmp_path / "interview.fountain", interview["interview"])
    assert fountain_file.read_text(encoding="utf-8") == fountain(rowan, interview["interview"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["interview.fountain", "interview.pdf"]


def test_unknown_suffix_and_format_are_refused(rowan, interview, tmp_path):
    with pytest.raises(SosieError, match=r"\.fountain or \.pdf"):
        write_script(rowan, tmp_path / "interview.docx", interview["interview"])
    with pytest.raises(SosieError, match=r"\.srt or \.vtt"):
        write_subtitles(rowan, tmp_path / "interview.txt", interview["interview"])
    with pytest.raises(SosieError, match="srt or vtt"):
        subtitles(rowan, interview["interview"], fmt="ass")
    with pytest.raises(SosieError, match="words per minute"):
        subtitles(rowan, interview["interview"], words_per_minute=0)
    assert list(tmp_path.iterdir()) == []


# -- subtitles -------------------------------------------------------------------------------------
def _label_and_text(caption: webvtt.Caption, fmt: str) -> tuple[str, str]:
    if fmt == "vtt":
        return caption.voice, words(html.unescape(caption.text))
    label, _, text = caption.text.partition(": ")
    return label, words(text)


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
@pytest.mark.parametrize("rate", [150.0, 100.0])
def test_subtitles_timing_labels_and_words(rowan, interview, fmt, rate):
    text = subtitles(rowan, interview["interview"], fmt=fmt, words_per_minute=rate)
    captions = webvtt.from_buffer(io.StringIO(text), format=fmt).captions
    assert words(captions[0].text) == rowan.config.disclosure
    assert captions[0].end_time.in_milliseconds() >= 4000

    times = [(c.start_time.in_milliseconds(), c.end_time.in_milliseconds()) for c in captions]
    assert all(start < end for start, end in times)
    assert all(earlier[1] <= later[0] and earlier[0] < later[0] for earlier, later in pairwise(times))

    labels = {"vtt": ("Interviewer", "Simulated Rowan Adler"),
              "srt": ("INTERVIEWER", "SIMULATED ROWAN ADLER")}[fmt]
    said: list[str] = []
    durations = 0.0
    for caption, (start, end) in zip(captions[2:], times[2:], strict=True):  # [1]: the models' line
        label, line = _label_and_text(caption, fmt)
        assert label in labels
        assert not re.search(r"\[\d+\]", caption.text)
        assert len(caption.lines) <= 2 and end - start <= 7000
        said.append(line)
        durations += (end - start) / 1000
    # every word asked and answered, in order, nothing added or dropped
    expected = [words(e["question"]) + " " + spoken(e) for e in interview["exchanges"]]
    assert " ".join(said) == " ".join(expected)
    # the time on screen is the time the words take at the given rate
    speaking = len(" ".join(expected).split()) * 60 / rate
    assert abs(durations - speaking) <= 0.05 * speaking + 1.0


def test_write_subtitles_by_suffix(rowan, interview, tmp_path):
    srt = write_subtitles(rowan, tmp_path / "interview.srt", interview["interview"])
    vtt = write_subtitles(rowan, tmp_path / "interview.vtt", interview["interview"])
    assert srt.read_text(encoding="utf-8") == subtitles(rowan, interview["interview"], fmt="srt")
    assert vtt.read_text(encoding="utf-8").startswith("WEBVTT")
    assert len(webvtt.from_srt(str(srt))) > len(interview["exchanges"]) * 2
    assert webvtt.read(str(vtt))[2].voice == "Interviewer"
