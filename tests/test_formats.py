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


def test_chat_exports_jsonl_and_tweets(persona, tmp_path):
    import json

    chat = [
        {"author": "maya_chen", "text": "Rowan, what is a city for?", "timestamp": "2020-02-01T10:00:00"},
        {"author": "rowan_adler", "text": "A city is a machine for bumping into people.",
         "timestamp": "2020-02-01T10:01:00"},
        {"author": "Rowan", "text": "Everything else is footnotes.", "timestamp": "2020-02-01T10:02:00"},
    ]
    (tmp_path / "chat.json").write_text(json.dumps(chat))
    (tmp_path / "talk.jsonl").write_text(
        '{"speaker": "HOST", "text": "Why trains?"}\n{"speaker": "Rowan Adler", "text": "Because a train'
        ' is a little city on rails."}\n')
    tweets = [{"tweet": {"full_text": "Ship on a Tuesday, not a Friday.", "id_str": "123",
                         "created_at": "Wed Oct 10 20:19:24 +0000 2018"}}]
    (tmp_path / "tweets.js").write_text("window.YTD.tweets.part0 = " + json.dumps(tweets))
    (tmp_path / "app.js").write_text("console.log('not a corpus')")  # a script: not even tried
    (tmp_path / "wrong.json").write_text('{"count": 3}')
    report = persona.add(tmp_path)
    assert sorted(p.rsplit("/", 1)[1] for p in report.added) == ["chat.json", "talk.jsonl", "tweets.js"]
    assert [p.rsplit("/", 1)[1] for p, _ in report.failed] == ["wrong.json"]
    assert "wrong shape" in report.failed[0][1]
    pairs = {p["question"]: p["question_speaker"] for p in persona.store.qa_pairs()}
    assert pairs == {"Rowan, what is a city for?": "maya_chen", "Why trains?": "HOST"}
    rows = persona.store.db.execute(
        "SELECT p.text, p.date, p.locator FROM passages p JOIN sources s ON s.id = p.source_id"
        " WHERE s.path LIKE '%tweets.js'").fetchall()
    assert [tuple(r) for r in rows] == [("Ship on a Tuesday, not a Friday.", "2018-10-10", "123")]
    chat_rows = stored(persona, "chat.json")
    assert chat_rows[0]["text"].startswith("A city is a machine") and chat_rows[0]["speaker"] == "rowan_adler"


def test_zip_archives_globs_and_bombs(persona, tmp_path):
    import zipfile

    archive = tmp_path / "press.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("2019/talk.vtt", VTT)
        zf.writestr("2019/notes.md", "Grease the chain before the rain, not after.\n")
        zf.writestr("2019/photo.png", b"\x89PNG....")
        zf.writestr("__MACOSX/._talk.vtt", b"junk")
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("huge.txt", b"a" * (5 * 2**20))  # 5 MB of one byte compresses ~1000:1
    report = persona.add(archive, bomb)
    names = sorted(k.split("!")[1] for k in report.added)
    assert names == ["2019/notes.md", "2019/talk.vtt"]
    assert any(p.endswith("photo.png") for p, _ in report.skipped)
    assert len(report.failed) == 1 and "zip bomb" in report.failed[0][1]
    note = persona.store.db.execute(
        "SELECT p.text, p.start, p.end, s.text FROM passages p JOIN sources s ON s.id = p.source_id"
        " WHERE s.path LIKE '%notes.md'").fetchone()
    assert note[3][note[1] : note[2]] == note[0]  # a member's text is kept, so citations resolve
    again = persona.add(archive)
    assert not again.added and len(again.unchanged) == 2

    only_vtt = Persona.create("globbed", "Rowan Adler", home=persona.workspace.parent)
    report = only_vtt.add(tmp_path, globs=["*.vtt"])
    assert [k.split("!")[1] for k in report.added] == ["2019/talk.vtt"]
    only_vtt.close()


def test_a_transcript_without_the_subject_fails_and_names_the_speakers(persona, tmp_path):
    path = tmp_path / "others.txt"
    path.write_text("MAYA CHEN: Hello?\nDANA OKORO: Hello, Maya.\n")
    report = persona.add(path)
    assert not report.ok and "never speaks" in report.failed[0][1]
    assert "DANA OKORO, MAYA CHEN" in report.failed[0][1]


def test_near_duplicates_are_indexed_once_with_all_sources(persona, tmp_path):
    import json

    from conftest import PODCAST, run_cli

    text = PODCAST.read_text(encoding="utf-8")
    answer = next(line for line in text.splitlines() if line.startswith("ROWAN ADLER:") and len(line) > 400)
    blog = tmp_path / "2016-10-01-blog.md"
    blog.write_text("# The same talk, as a blog post\n\n" + answer.removeprefix("ROWAN ADLER: ") + "\n")
    persona.add(PODCAST, blog)
    manifest = persona.build()
    assert manifest["near_duplicates"] >= 1
    assert manifest["passages"] == persona.store.stats()["passages"] - manifest["near_duplicates"]
    question = " ".join(answer.split()[2:14])
    cited = persona.ask(question).citations
    assert any(str(blog) in c.also_in or c.source == str(blog) for c in cited)
    summary = json.loads(run_cli("corpus", "formats", "--json", home=persona.workspace.parent).stdout)
    assert summary["near_duplicates"] == manifest["near_duplicates"]
    assert summary["by_role"]["other"]["turns"] > 5 and summary["by_year"]["2016"]["passages"] > 0
    shown = run_cli("corpus", "formats", home=persona.workspace.parent)
    assert "Largest sources" in shown.stdout and "near-duplicate" in shown.stdout
