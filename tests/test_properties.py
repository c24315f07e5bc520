"""Property-based tests (hypothesis): random bytes and random transcripts never crash a
reader, never lose a good file, and every stored passage resolves to its exact text."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sosie import Persona
from sosie.corpus.readers import read_source
from sosie.errors import BadSource

SUFFIXES = [".txt", ".md", ".srt", ".vtt", ".html", ".json", ".jsonl", ".js", ".pdf", ".docx"]
GOOD = "Trains beat planes for anything under six hours. Nobody on a plane talks to anybody.\n"
LABELS = ["MAYA CHEN", "ROWAN ADLER", "Q", "A", "INTERVIEWER", "Rowan", "[Dana Okoro]", "**ADLER**"]
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=120)


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=3000), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_give_a_source_or_one_clear_error(data, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"random{suffix}"
        path.write_bytes(data)
        try:
            source = read_source(path)
        except BadSource as exc:
            message = str(exc)
            assert message.startswith(str(path)) and "\n" not in message
        else:
            assert source.text.strip()


@settings(max_examples=40, deadline=None)
@given(turns=st.lists(st.tuples(st.sampled_from(LABELS), TEXT), max_size=25),
       suffix=st.sampled_from([".txt", ".md"]))
def test_random_transcripts_keep_good_files_and_exact_offsets(turns, suffix):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        corpus = root / "corpus"
        corpus.mkdir()
        (corpus / f"random{suffix}").write_text(
            "\n".join(f"{label}: {text}" if not label.startswith("[") else f"{label} {text}"
                      for label, text in turns), encoding="utf-8")
        (corpus / "good.md").write_text(GOOD, encoding="utf-8")
        with Persona.create("prop", "Rowan Adler", ["Rowan"], home=root / "home") as persona:
            report = persona.add(corpus)
            assert any(p.endswith("good.md") for p in report.added)
            assert len(report.added) + len(report.failed) == 2
            rows = persona.store.db.execute(
                "SELECT p.text, p.start, p.end, s.path FROM passages p JOIN sources s ON s.id = p.source_id"
            ).fetchall()
            for text, start, end, path in rows:
                assert read_source(Path(path)).text[start:end] == text
                assert text.strip()


def test_a_huge_file_is_refused_without_being_read(tmp_path):
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as handle:  # sparse: 200 MB on paper, nothing on disk
        handle.seek(200 * 2**20)
        handle.write(b"a")
    try:
        read_source(huge)
    except BadSource as exc:
        assert "too large (200 MB > 64 MB)" in str(exc)
    else:
        raise AssertionError("a 200 MB file was read")
