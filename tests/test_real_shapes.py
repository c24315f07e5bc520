"""Speaker attribution in the layouts of the real public records, property-tested.

Why: ``tests/test_real_records.py`` scores Sosie on a few fixed real files (White House briefings,
GPO hearings, Supreme Court arguments, FOMC and oral-history PDFs, a podcast, a one-line scrape,
speech-to-text JSON); passing those says little about the next file written the same way. Here
hypothesis writes random dialogues (the strategy of ``test_speaker_properties``) in each real set's
own layout (``tests/real/shapes.py``: its front matter, labels, page furniture, stage notes and
publisher slips) and checks what the real Store holds after ``ingest``: the subject's turns,
whitespace-normalised, equal the true ones in order, and each answers its true question. A
failure names the shape and variant and shows the first mismatching turn and the file's start.

Two plain tests back it: every shape renders and is read as a transcript, never a monologue (a
file where two or more people speak must never be given whole to one of them); and each real
set's own gold parser (``tests/real/gold_SET.py``, written for the real files alone) reads a
rendered file to exactly the renderer's truth, so a shape that drifted from the real layout, or a
truth that disagreed with the gold's reading of it, fails here and not as a product bug.
"""

from __future__ import annotations

import io
import random
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import conventions as cv
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_speaker_properties import dialogues, ingest_and_compare

from sosie.corpus.names import Subject
from sosie.corpus.readers import read_source
from sosie.corpus.speakers import detect

sys.path.insert(0, str(Path(__file__).resolve().parent / "real"))
import records  # noqa: E402
import shapes  # noqa: E402

# the dialogues strategy picks its speech by convention: a hearing's (8) or an interview's (1)
SPEECH_OF = {"interview": 1, "hearing": 8}
CASES = [pytest.param(name, v, id=f"{name}-{v}") for name, v in shapes.CASES]


def start_of(rendered: cv.Rendered, chars: int = 3000) -> str:
    """The file as a reader of the failure should see it: a PDF as the text pypdf extracts."""
    if rendered.filename.endswith(".pdf"):
        from pypdf import PdfReader

        pages = PdfReader(io.BytesIO(rendered.data)).pages
        return "\n".join(f"--- page {n} (pypdf) ---\n{page.extract_text()}"
                         for n, page in enumerate(pages, start=1))[:chars]
    return rendered.data.decode("utf-8")[:chars]


@pytest.mark.slow
@pytest.mark.parametrize(("shape", "variant"), CASES)
@settings(max_examples=6, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_every_real_shape_gives_the_subject_exactly_their_words(shape: str, variant: str,
                                                                data: st.DataObject) -> None:
    dialogue = data.draw(dialogues(SPEECH_OF[shapes.SHAPES[shape].kind]), label="dialogue")
    rendered = shapes.render(dialogue, shape, variant)
    _, problem = ingest_and_compare(rendered)
    assert problem is None, problem + "\n--- the file ---\n" + start_of(rendered)


@pytest.mark.parametrize(("shape", "variant"), CASES)
def test_every_real_shape_renders_and_reads_as_a_transcript(shape: str, variant: str) -> None:
    rng = random.Random(f"{shape}{variant}")
    dialogue = cv.make_dialogue(rng, shapes.SHAPES[shape].kind, 160)
    rendered = shapes.render(dialogue, shape, variant)
    truth = rendered.truth
    assert rendered.data and truth.subject_turns, "the shape wrote nothing of the subject's"
    assert len({t.role for t in truth.turns}) == 2
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / rendered.filename
        path.write_bytes(rendered.data)
        found = detect(read_source(path), Subject(truth.subject, truth.aliases), truth.speakers or None)
    assert found.kind == "transcript", f"{rendered.filename} read as a {found.kind}: {found.evidence}"
    assert any(t.role == "subject" for t in found.turns)


class EveryLabel(dict):
    """A gold parser's label map that knows every label of a rendered file: the subject's (a label
    the truth gave them, or any single name holding their surname: ``S. OKAFOR``, ``CHAIR OKAFOR``)
    or somebody else (``Q``, ``Ben Ito & Ada Okafor``)."""

    def __init__(self, truth: cv.Truth, surname: str):
        super().__init__()
        self.theirs = {t.speaker for t in truth.turns if t.role == "subject"}
        self.surname = surname.lower()

    def __contains__(self, label: object) -> bool:
        return True

    def get(self, label: object, default: object = None) -> str:
        return self[label]

    def __missing__(self, label: object) -> str:
        text = str(label)
        group = "&" in text or "," in text
        theirs = text in self.theirs or (self.surname in text.lower() and not group)
        return "subject" if theirs else f"other: {text}"  # each other person apart, as a gold merges runs


def _text_lines(path: Path) -> Iterator[str]:
    """A rendered ``.txt`` of extracted pages, line by line, as the gold reads a PDF's pages."""
    for line in path.read_text(encoding="utf-8").split("\n"):
        yield line.replace("\f", "")


# the court gold reads only the Court's own tagged PDF (margin numbers and folios as /Artifact)
GOLD_CASES = [c for c in CASES if c.values != ("court", "c")]


@pytest.mark.parametrize(("shape", "variant"), GOLD_CASES)
def test_each_sets_own_gold_reads_a_rendered_file_as_its_truth(shape: str, variant: str, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    gold = records.gold_module(shape)
    header = getattr(gold, "_HEADER", re.compile("")).pattern  # as the gold wrote it, for its one file
    rng = random.Random(f"gold-{shape}{variant}")
    for words in (80, 900):  # 900 words: a paged record runs over several pages
        dialogue = cv.make_dialogue(rng, shapes.SHAPES[shape].kind, words)
        rendered = shapes.render(dialogue, shape, variant)
        path = tmp_path / rendered.filename
        path.write_bytes(rendered.data)
        surname = dialogue.subject.last
        # what each gold hard-codes for its one real file: the people, and names in page furniture
        monkeypatch.setitem(gold.SET, "speaker_map", EveryLabel(rendered.truth, surname))
        if shape == "oral_history":
            names = "|".join(sorted({re.escape(t.speaker) for t in rendered.truth.turns}))
            monkeypatch.setattr(gold, "_LABEL", re.compile(r"^(" + names + r"):(?:\s+|$)"))
            monkeypatch.setattr(gold, "_INLINE", re.compile(r"\s{2,}(" + names + r"):\s{2}"))
            monkeypatch.setattr(gold, "_HEADER", re.compile(rf"^{surname} - \d+$"))
        if shape == "fomc":
            monkeypatch.setattr(gold, "_HEADER", re.compile(header.replace("Powell", surname)))
        if shape in ("oral_history", "fomc") and path.suffix == ".txt":
            monkeypatch.setattr(gold, "_lines", _text_lines)
        # the gold keeps the en dash of a resumed question ("Q– the test"); the truth, like Sosie, not
        read = [("subject" if who == "subject" else "other", cv.normalise(text).removeprefix("– "))
                for who, text in gold.gold(path)]  # (a gold names some people itself: "Reporter")
        truth = [(t.role, t.text) for t in rendered.truth.turns]
        if (shape, variant) == ("podcast", "b"):  # the gold joins a turn's timed paragraphs; Sosie not
            truth = _joined(rendered.truth.turns)
        assert read == truth, rendered.filename


def _joined(turns: list[cv.TrueTurn]) -> list[tuple[str, str]]:
    """Consecutive turns of one speaker as one."""
    out: list[tuple[str, str, str]] = []
    for t in turns:
        if out and out[-1][0] == t.speaker:
            out[-1] = (t.speaker, t.role, f"{out[-1][2]} {t.text}")
        else:
            out.append((t.speaker, t.role, t.text))
    return [(role, text) for _, role, text in out]
