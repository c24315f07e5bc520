"""Ingestion: speaker separation, Q/A pairing, provenance, idempotence, replacement."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import PODCAST, ROWAN_DIR

from sosie import Persona
from sosie.corpus.readers import read_source
from sosie.corpus.sentences import sentence_spans
from sosie.corpus.speakers import Subject, detect


def test_podcast_keeps_only_the_subjects_words_as_passages(small):
    report = small.add(small.corpus_dir / PODCAST.name)
    assert report.ok and report.added and report.passages > 10
    db = small.store.db
    others = [r["text"] for r in db.execute("SELECT text FROM turns WHERE role='other'")]
    assert len(others) >= 10
    speakers = {r[0] for r in db.execute("SELECT DISTINCT speaker FROM passages")}
    assert speakers == {"ROWAN ADLER"}
    for (text,) in db.execute("SELECT text FROM passages"):
        assert not any(text in other for other in others if len(text) > 40)
    # every passage lies inside one of the subject's turns
    subject_turns = [r[0] for r in db.execute("SELECT text FROM turns WHERE role='subject'")]
    for (text,) in db.execute("SELECT text FROM passages"):
        assert any(text in turn for turn in subject_turns)


def test_questions_are_the_other_speakers_turns(small):
    small.add(small.corpus_dir / PODCAST.name)
    pairs = small.store.qa_pairs()
    assert len(pairs) >= 5
    assert all(p["question_speaker"] == "MAYA CHEN" for p in pairs)
    assert sum("?" in p["question"] for p in pairs) >= len(pairs) - 1


def test_q_a_and_interviewer_labels(tmp_path):
    qa = tmp_path / "qa.txt"
    qa.write_text("Q: Why trains?\nA: Because nobody on a plane talks.\n\nQ: And cities?\n"
                  "A: Machines for bumping into people.\nIt is that simple.\n")
    radio = tmp_path / "radio.txt"
    radio.write_text("INTERVIEWER: Welcome. What now?\nADLER: Now I rest.\n"
                     "INTERVIEWER: Really?\nADLER: No. Anyway.\n")
    subject = Subject("Rowan Adler", ("Rowan",))
    found = detect(read_source(qa), subject)
    kind, turns = found.kind, found.turns
    assert kind == "transcript"
    assert [t.role for t in turns] == ["other", "subject", "other", "subject"]
    source = read_source(qa)
    answer = turns[3]
    assert source.text[answer.start : answer.end] == "Machines for bumping into people.\nIt is that simple."
    assert source.text[answer.question.start : answer.question.end] == "And cities?"
    found = detect(read_source(radio), subject)
    turns = found.turns
    assert [(t.speaker, t.role) for t in turns][:2] == [("INTERVIEWER", "other"), ("ADLER", "subject")]


def test_an_essay_is_a_monologue_of_the_subject(tmp_path):
    essay = tmp_path / "2020-01-02-essay.md"
    essay.write_text("---\ntitle: On bread\n---\n# On bread\n\nGus is eleven. He smells of apples.\n")
    found = detect(read_source(essay), Subject("Rowan Adler"))
    kind, turns = found.kind, found.turns
    assert kind == "monologue"
    assert [t.role for t in turns] == ["subject"] and turns[0].date == "2020-01-02"
    assert "# On bread" not in read_source(essay).text[turns[0].start : turns[0].end]


def test_provenance_offsets_point_at_the_exact_text(rowan):
    rows = rowan.store.db.execute(
        "SELECT p.text, p.start, p.end, p.line_start, s.path, s.sha256 FROM passages p "
        "JOIN sources s ON s.id = p.source_id"
    ).fetchall()
    assert len(rows) > 100
    for text, start, end, line_start, path, sha in rows:
        source = read_source(Path(path))
        assert source.sha256 == sha
        assert source.text[start:end] == text
        assert source.text.count("\n", 0, start) + 1 == line_start


def test_dates_come_from_front_matter_and_dated_headings(rowan):
    db = rowan.store.db
    notebook_dates = {r[0] for r in db.execute(
        "SELECT p.date FROM passages p JOIN sources s ON s.id = p.source_id "
        "WHERE s.path LIKE '%timeline.md'")}
    assert len(notebook_dates) >= 20 and all(d and d[:2] in ("19", "20") for d in notebook_dates)
    essay_dates = {r[0] for r in db.execute(
        "SELECT p.date FROM passages p JOIN sources s ON s.id = p.source_id "
        "WHERE s.path LIKE '%2018-10-22-small-tools-sharp-edges.md'")}
    assert essay_dates == {"2018-10-22"}


def test_chunks_keep_sentences_whole(rowan):
    for text, turn_text in rowan.store.db.execute(
        "SELECT p.text, t.text FROM passages p JOIN turns t ON t.id = p.turn_id"
    ):
        ends = {e for _, e in sentence_spans(turn_text)}
        offset = turn_text.index(text)
        assert offset + len(text) in ends, text[-60:]


def test_re_adding_changes_nothing(small):
    first = small.add(small.corpus_dir)
    version = small.store.corpus_version
    count = small.store.stats()["passages"]
    again = small.add(small.corpus_dir)
    assert len(first.added) == 2 and not again.added and len(again.unchanged) == 2
    assert small.store.corpus_version == version
    assert small.store.stats()["passages"] == count


def test_a_changed_file_replaces_its_old_passages(small):
    path = small.corpus_dir / PODCAST.name
    small.add(path)
    before = small.store.stats()["passages"]
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "\nROWAN ADLER: Zebras are the unexpected heroes of logistics.\n",
                    encoding="utf-8")
    report = small.add(path)
    assert report.replaced and not report.added
    assert small.store.stats()["sources"] == 1
    assert small.store.stats()["passages"] == before + 1
    hits = small.store.db.execute("SELECT COUNT(*) FROM passages WHERE text LIKE '%Zebras%'")
    assert hits.fetchone()[0] == 1


def test_demo_corpus_is_large_enough_and_fictional(rowan, wren):
    stats = rowan.store.stats()
    assert stats["subject_words"] >= 12_000 and stats["qa_pairs"] >= 30
    assert wren.store.stats()["subject_words"] >= 3_000
    for path in ROWAN_DIR.rglob("*.*"):
        assert "not a real person" in path.read_text(encoding="utf-8")[:600].lower()
    assert Persona.names(rowan.workspace.parent) == ["rowan", "wren"]


def test_bracketed_and_bold_labels(tmp_path):
    path = tmp_path / "t.md"
    path.write_text("**MAYA CHEN:** Why bread?\n**ROWAN ADLER:** Gus needs feeding.\n"
                    "[MAYA CHEN]: And then?\n[Rowan]: Then the bike.\n")
    found = detect(read_source(path), Subject("Rowan Adler", ("Rowan",)))
    kind, turns = found.kind, found.turns
    assert kind == "transcript"
    assert [t.role for t in turns] == ["other", "subject", "other", "subject"]
    text = read_source(path).text
    assert [text[t.start : t.end] for t in turns][1::2] == ["Gus needs feeding.", "Then the bike."]


def test_bare_bracket_labels_and_case_insensitive_aliases(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("[Maya Chen] Why bread?\n[ROWAN] Gus needs feeding.\n"
                    "[Maya Chen] And then?\n[Rowan] Then the bike.\n")
    found = detect(read_source(path), Subject("Rowan Adler", ("rowan",)))
    kind, turns = found.kind, found.turns
    assert kind == "transcript"
    assert [t.role for t in turns] == ["other", "subject", "other", "subject"]
    text = read_source(path).text
    assert text[turns[1].start : turns[1].end] == "Gus needs feeding."


@pytest.mark.parametrize("moment", ["detect", "_store_source"])
def test_a_concurrent_add_of_the_same_file_is_taken_as_unchanged(tmp_path, monkeypatch, moment):
    """Two `sosie add`s of one file: the second stores it between the first's check and its
    insert. The interleaving is made certain by running the other add (its own SQLite
    connection to the same file) from inside the first one, while it parses the file or just
    before it inserts (then SQLite's UNIQUE constraint answers, and the add looks again)."""
    import importlib
    import os
    import stat

    from sosie.corpus.ingest import ingest
    from sosie.corpus.store import Store

    ingest_module = importlib.import_module("sosie.corpus.ingest")  # the module, not its function
    note = tmp_path / "note.md"
    note.write_text("Trains beat planes for anything under six hours.\n")
    subject = Subject("Rowan Adler", ("Rowan",))
    first, other = Store(tmp_path / "sosie.db"), Store(tmp_path / "sosie.db")
    assert stat.S_IMODE(os.stat(tmp_path / "sosie.db").st_mode) == 0o600  # a person's words: owner only
    real, raced = getattr(ingest_module, moment), []

    def while_another_add_runs(*args, **kwargs):
        if not raced:
            raced.append(True)
            monkeypatch.setattr(ingest_module, moment, real)
            assert ingest(other, [note], subject).added  # the other process wins the race
            monkeypatch.setattr(ingest_module, moment, while_another_add_runs)
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest_module, moment, while_another_add_runs)
    report = ingest(first, [note], subject)
    assert raced and report.ok and report.unchanged and not report.added
    assert first.stats()["sources"] == 1
