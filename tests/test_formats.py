"""Readers for subtitles, HTML, PDF and DOCX: speakers, locators, and bad files.

Every fixture is made here by the test (the PDFs with matplotlib, the DOCX with python-docx).
"""

from __future__ import annotations

import pytest

from sosie import Persona

VTT = """WEBVTT

00:00:01.000 --> 00:00:04.000
<v Maya Chen>Rowan, why do trains beat planes?

00:00:05.000 --> 00:00:09.000
<v Rowan Adler>Look, trains beat planes for anything under six hours.

00:00:09.500 --> 00:00:12.000
Nobody on a plane talks to anybody.

00:00:13.000 --> 00:00:15.000
<v Maya Chen>And cities?

00:12:31.000 --> 00:12:36.000
<v Rowan Adler>A city is a machine for bumping into people.
"""

SRT = """1
00:00:01,000 --> 00:00:03,000
MAYA CHEN: What about libraries?

2
00:00:04,000 --> 00:00:08,000
ROWAN ADLER: Libraries are the best institution humans ever built.
"""

HTML = """<html><head><title>Small tools, sharp edges</title></head><body>
<nav>Home | About | Archive</nav><article><h1>Small tools, sharp edges</h1>
<p>I have spent most of my working life building software for public libraries, and the longer
I do it the more I believe the boring answer is usually the right one.</p>
<p>A small tool with a sharp edge tells you what it does. It does not pretend. It does not phone
home. It works on a Tuesday afternoon when the network is down and the branch is full.</p>
<p>Offline first is not nostalgia. It is respect for the people who have to use the thing when
everything else has failed, which in a library is more often than vendors like to admit.</p>
</article><footer>Copyright nobody</footer></body></html>"""


def make_pdf(path, pages: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    matplotlib.rcParams["pdf.fonttype"] = 42  # real text, extractable
    with PdfPages(path) as pdf:
        for text in pages:
            fig = plt.figure(figsize=(8.5, 11))
            if text:
                fig.text(0.1, 0.8, text, wrap=True)
            else:
                fig.add_artist(plt.Rectangle((0.2, 0.2), 0.5, 0.5))  # a "scan": no text layer
            pdf.savefig(fig)
            plt.close(fig)


@pytest.fixture
def persona(home):
    with Persona.create("formats", "Rowan Adler", ["Rowan"], home=home, pronoun="his") as p:
        yield p


def stored(persona, suffix):
    return persona.store.db.execute(
        "SELECT p.text, p.start, p.end, p.locator, p.speaker, s.text AS source_text FROM passages p"
        " JOIN sources s ON s.id = p.source_id WHERE s.path LIKE ? ORDER BY p.id", (f"%{suffix}",)
    ).fetchall()


def test_subtitles_keep_speakers_cues_and_timestamps(persona, tmp_path):
    (tmp_path / "talk.vtt").write_text(VTT)
    (tmp_path / "radio.srt").write_text(SRT)
    report = persona.add(tmp_path)
    assert report.ok and len(report.added) == 2
    rows = stored(persona, ".vtt")
    assert [r["locator"] for r in rows] == ["00:00:05-00:00:09", "00:12:31"]
    assert rows[0]["text"] == ("Look, trains beat planes for anything under six hours. "
                               "Nobody on a plane talks to anybody.")  # two cues, one turn
    for r in rows:
        assert r["source_text"][r["start"] : r["end"]] == r["text"]
    questions = {p["question"] for p in persona.store.qa_pairs()}
    assert {"Rowan, why do trains beat planes?", "And cities?", "What about libraries?"} <= questions
    srt = stored(persona, ".srt")
    assert srt[0]["speaker"] == "ROWAN ADLER" and srt[0]["locator"] == "00:00:04"
    persona.build()
    answer = persona.ask("Why do trains beat planes?")
    assert any(c.position.startswith("00:00:05-00:00:09, ") for c in answer.citations)


def test_html_docx_and_pdf_with_pages(persona, tmp_path):
    import docx

    (tmp_path / "post.html").write_text(HTML)
    document = docx.Document()
    document.core_properties.title = "Letter to a new librarian"
    document.add_paragraph("Dear new librarian, the building is the interface.")
    document.add_paragraph("Keep the lights on late and the desk staffed.")
    document.save(tmp_path / "letter.docx")
    make_pdf(tmp_path / "testimony.pdf", ["Trains beat planes under six hours.",
                                          "Libraries are the best institution humans ever built."])
    report = persona.add(tmp_path)
    assert report.ok and len(report.added) == 3, report.failed
    html = stored(persona, ".html")
    assert any("boring answer is usually the right one" in r["text"] for r in html)
    assert not any("Copyright nobody" in r["text"] or "Archive" in r["text"] for r in html)
    title = persona.store.db.execute("SELECT title FROM sources WHERE path LIKE '%.docx'").fetchone()[0]
    assert title == "Letter to a new librarian"
    pdf = stored(persona, ".pdf")
    assert [r["locator"] for r in pdf] == ["pages 1-2"]  # one passage running over the page break
    assert "best institution" in pdf[0]["text"]
    for r in html + pdf + stored(persona, ".docx"):
        assert r["source_text"][r["start"] : r["end"]] == r["text"]


def test_bad_pdfs_fail_alone(persona, tmp_path):
    make_pdf(tmp_path / "good.pdf", ["Trains beat planes under six hours."])
    data = (tmp_path / "good.pdf").read_bytes()
    (tmp_path / "truncated.pdf").write_bytes(data[: len(data) // 3])
    make_pdf(tmp_path / "scan.pdf", [""])
    (tmp_path / "fake.docx").write_bytes(b"PK\x03\x04 not really a zip")
    report = persona.add(tmp_path)
    failed = dict(report.failed)
    assert len(report.added) == 1 and report.added[0].endswith("good.pdf")
    assert "corrupt or truncated PDF" in failed[str(tmp_path / "truncated.pdf")]
    assert "no text layer" in failed[str(tmp_path / "scan.pdf")]
    assert "not a readable .docx" in failed[str(tmp_path / "fake.docx")]
