"""Transcripts as people get them: every convention gives the subject exactly their own words.

The files under ``fixtures/transcripts`` were written for these tests in the shapes that
transcription services, speech-to-text tools, congressional records, depositions, news
transcripts and Markdown notes of talks really have.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from sosie import Persona
from sosie.corpus.ingest import ingest
from sosie.corpus.labels import moment_link
from sosie.corpus.readers import read_source
from sosie.corpus.speakers import Subject, detect
from sosie.corpus.store import Store
from sosie.errors import BadSource

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"
ADA = Subject("Ada Okafor")
MAPS = {
    "whisperx.json": {"SPEAKER_01": "Ada Okafor"},
    "assemblyai.json": {"Speaker B": "Ada Okafor"},
    "diarised.vtt": {"SPEAKER_01": "Ada Okafor"},
}
# file: (convention, the subject's turns (first words), Q/A pairs, first locator, date)
EXPECTED = {
    "rev-export.txt": ("label line + time", ["I started", "It was slow", "Buy a cheap"], 3,
                       "00:00:05", "2025-05-08"),
    "otter-export.txt": ("label line + time", ["With a borrowed", "They minded", "He came twice"], 3,
                         "00:00:05", None),
    "congressional-record.txt": ("record (Mr. SMITH.)", ["Thank you, Mr.", "About nine", "Stable funding",
                                                          "Cheaper per"], 4, None, "2025-05-08"),
    "deposition.txt": ("deposition (Q./A.)", ["Ada Okafor.", "At the glass", "I did."], 3, None, None),
    "screenplay.txt": ("CAPS name line", ["Because cooling", "Less than"], 2, None, None),
    "timestamped.md": ("NAME (time): text", ["Red. Gold", "Tiny pieces"], 2, "00:00:05", "2025-05-08"),
    "bracket-first.txt": ("NAME (time): text", ["From a quarry", "Then we make"], 2, "00:00:05", None),
    "name-then-stamp.txt": ("NAME (time): text", ["I sweep.", "Never before"], 2, "00:00:05", None),
    "keynote.md": ("section headers", ["Good morning.", "Next year"], 0, None, "2025-05-08"),
    "whisperx.json": ("speech-to-text JSON (segments)", ["My uncle", "Hard on the hands"], 2,
                      "00:00:00", None),
    "assemblyai.json": ("speech-to-text JSON (utterances)", ["Patience, mostly.", "Curiosity"], 2,
                        "00:00:00", None),
    "diarised.vtt": ("NAME: text", ["The jacks.", "Because they shape"], 2, "00:00:01", None),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_convention_gives_the_subject_only_their_words(name):
    convention, firsts, pairs, first_locator, date = EXPECTED[name]
    source = read_source(FIXTURES / name)
    found = detect(source, ADA, MAPS.get(name))
    assert found.kind == "transcript" and found.convention == convention
    subject = [source.text[t.start : t.end] for t in found.turns if t.role == "subject"]
    assert len(subject) == len(firsts)
    for turn, first in zip(subject, firsts, strict=True):
        assert turn.startswith(first), (turn, first)
    # nobody else's words: every other turn is somebody else's, and no label leaked into a turn
    others = {t.speaker for t in found.turns if t.role == "other"}
    assert others and not any(o.lower() in ("ada okafor", "dr. okafor") for o in others)
    for turn in subject:
        assert "Maya Chen" not in turn and "SPEAKER_" not in turn and "Senator" not in turn
    assert sum(t.question is not None for t in found.turns) == pairs
    assert (found.locators[0][1] if found.locators else None) == first_locator
    assert source.date == date


def test_questions_pair_with_the_answer_that_follows(tmp_path):
    source = read_source(FIXTURES / "otter-export.txt")
    found = detect(source, ADA)
    pairs = [(source.text[t.question.start : t.question.end], source.text[t.start : t.end])
             for t in found.turns if t.question]
    assert pairs[2] == ("Can I jump in? What about the fire inspector?",
                        "He came twice and left with a bowl both times.")


def test_timestamps_become_citation_locators_and_video_links(tmp_path):
    with Persona.create("ada", "Ada Okafor", home=tmp_path / "home") as persona:
        report = persona.add(FIXTURES / "timestamped.md")
        assert report.ok and report.qa_pairs == 2
        rows = persona.store.db.execute(
            "SELECT p.text, p.locator, p.date, s.origin FROM passages p JOIN sources s ON s.id = p.source_id"
            " ORDER BY p.start").fetchall()
    assert [(r[1], r[2]) for r in rows] == [("00:00:09", "2025-05-08"), ("00:01:18", "2025-05-08")]
    assert rows[0][3] == "https://www.youtube.com/watch?v=glass123"
    assert moment_link(rows[1][3], rows[1][1]) == "https://www.youtube.com/watch?v=glass123&t=78s"


def test_whisperx_segment_times_reach_the_passages(tmp_path):
    store = Store(tmp_path / "sosie.db")
    report = ingest(store, [FIXTURES / "whisperx.json"], ADA, speakers={"SPEAKER_01": "Ada Okafor"})
    assert report.ok and report.qa_pairs == 2
    locators = [r[0] for r in store.db.execute("SELECT locator FROM passages ORDER BY start")]
    assert locators == ["00:00:03-00:00:08", "00:31:45"]


def test_unmapped_diarised_labels_are_refused_with_the_flag(tmp_path):
    store = Store(tmp_path / "sosie.db")
    report = ingest(store, [FIXTURES / "whisperx.json"], ADA)
    assert not report.ok and store.stats()["sources"] == 0
    message = report.failed[0][1]
    assert "SPEAKER_00, SPEAKER_01" in message and "--speaker 'LABEL=Ada Okafor'" in message
    assert "\n" not in message


def test_speaker_mapping_is_remembered_per_source(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    path = corpus / "talk.json"
    shutil.copy(FIXTURES / "whisperx.json", path)
    store = Store(tmp_path / "sosie.db")
    assert ingest(store, [path], ADA, speakers={"SPEAKER_01": "Ada Okafor"}).added
    # a changed file, added again without the flag: the mapping still applies
    path.write_text(path.read_text().replace("easy on the heart", "easy on the soul"))
    again = ingest(store, [path], ADA)
    assert again.replaced and again.ok
    speakers = {r[0] for r in store.db.execute("SELECT DISTINCT speaker FROM passages")}
    assert speakers == {"Ada Okafor"}
    # an unchanged file with a new mapping is read again with it
    swapped = ingest(store, [path], ADA, speakers={"SPEAKER_00": "Ada Okafor", "SPEAKER_01": "Maya Chen"})
    assert swapped.replaced
    texts = [r[0] for r in store.db.execute("SELECT text FROM passages")]
    assert texts == ["Thanks for coming in. What got you into glass?", "Was that hard?"]


def test_an_ambiguous_file_is_refused_and_the_others_go_in(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("ambiguous.txt", "rev-export.txt"):
        shutil.copy(FIXTURES / name, corpus / name)
    store = Store(tmp_path / "sosie.db")
    report = ingest(store, [corpus], ADA)
    assert len(report.added) == 1 and report.added[0].endswith("rev-export.txt")
    (path, message), = report.failed
    assert path.endswith("ambiguous.txt") and "'Maya Chen' x1" in message and "--single-speaker" in message
    stored = store.db.execute("SELECT COUNT(*) FROM sources WHERE path LIKE '%/ambiguous.txt'")
    assert stored.fetchone()[0] == 0
    # read as one voice when the user says so
    assert ingest(store, [corpus / "ambiguous.txt"], ADA, single_speaker=True).added


def test_dry_run_shows_the_speakers_and_stores_nothing(tmp_path):
    store = Store(tmp_path / "sosie.db")
    report = ingest(store, [FIXTURES / "otter-export.txt", FIXTURES / "ambiguous.txt"], ADA, dry_run=True)
    assert store.stats()["sources"] == 0 and not report.added
    (preview,) = report.previews
    assert preview["convention"] == "label line + time"
    ada = preview["speakers"]["Ada Okafor"]
    assert (ada["role"], ada["turns"], ada["words"]) == ("subject", 3, 42)
    assert ada["samples"][0].startswith("With a borrowed kiln") and len(ada["samples"]) == 2
    assert 0.8 <= preview["confidence"] <= 1 and "6 labels of 3 speakers" in preview["evidence"]
    assert preview["speakers"]["Ben Ito"]["role"] == "other"
    assert len(report.failed) == 1


def test_header_block_is_metadata_not_the_subjects_words(tmp_path):
    path = tmp_path / "talk.txt"
    path.write_text("My talk at the guild\n**Recorded:** 8 May 2025\n\nI have made glass for thirty years.\n")
    source = read_source(path)
    assert source.date == "2025-05-08"
    found = detect(source, ADA)
    assert found.kind == "monologue"
    assert [source.text[t.start : t.end] for t in found.turns] == ["I have made glass for thirty years."]


def test_titles_before_a_surname_find_the_subject():
    assert ADA.is_subject("Dr. OKAFOR") and ADA.is_subject("Ms. Okafor") and ADA.is_subject("A")
    assert not ADA.is_subject("Speaker A") and not ADA.is_subject("SPEAKER_01")
    assert not ADA.is_subject("Senator JONES")


def test_prose_with_colons_stays_a_monologue(tmp_path):
    path = tmp_path / "essay.md"
    path.write_text("# Notes on kilns\n\nNote: nothing here is a transcript.\n\nA kiln is a box of heat. "
                    "Remember: it is hot.\n\n## Why it matters\n\nBecause glass is patient.\n")
    found = detect(read_source(path), ADA)
    assert found.kind == "monologue" and all(t.role == "subject" for t in found.turns)


def test_unknown_single_speaker_flag_reads_labels_as_text(tmp_path):
    found = detect(read_source(FIXTURES / "screenplay.txt"), ADA, single_speaker=True)
    assert found.kind == "monologue" and len(found.turns) == 1


def test_old_workspaces_upgrade_in_place(tmp_path):
    db_path = tmp_path / "sosie.db"
    Store(db_path).close()
    db = sqlite3.connect(db_path)
    db.executescript("DROP TABLE source_settings; ALTER TABLE sources DROP COLUMN convention;"
                     " ALTER TABLE sources DROP COLUMN confidence; ALTER TABLE sources DROP COLUMN evidence;"
                     " ALTER TABLE sources DROP COLUMN reader; DROP TABLE eval_blocks;"
                     " PRAGMA user_version = 6;")
    db.close()
    store = Store(db_path)
    assert ingest(store, [FIXTURES / "rev-export.txt"], ADA).ok
    assert store.db.execute("SELECT convention FROM sources").fetchone()[0] == "label line + time"


def test_refusal_is_one_line(tmp_path):
    with pytest.raises(BadSource) as caught:
        detect(read_source(FIXTURES / "ambiguous.txt"), ADA)
    assert "\n" not in str(caught.value) and str(caught.value).startswith(str(FIXTURES))


def test_subtitles_whose_dashes_change_an_unnamed_speaker_are_refused(tmp_path):
    """Film and TV subtitles mark a new speaker with '- ' and name nobody: reading them as the
    subject's monologue would put the other characters' lines in the double's mouth."""
    store = Store(tmp_path / "sosie.db")
    report = ingest(store, [FIXTURES / "film-dialogue.srt"], ADA)
    (_, message), = report.failed
    assert "2 subtitle cues change speaker with '- '" in message and "--single-speaker" in message
    assert store.stats()["sources"] == 0
    assert ingest(store, [FIXTURES / "film-dialogue.srt"], ADA, single_speaker=True).added
    labelled = tmp_path / "labelled.vtt"  # named speakers: read as usual, dashes or not
    labelled.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Maya Chen>- Is it lit?\n\n"
                        "00:00:04.000 --> 00:00:06.000\n<v Ada Okafor>- Since Monday.\n")
    assert ingest(store, [labelled], ADA).added
