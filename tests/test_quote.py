"""The quote engine: cited answers in the person's own words, abstention, isolation."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import ROWAN_DIR, WREN_DIR

from sosie.corpus.readers import read_source

CITED_SENTENCE = re.compile(r"(.+?) \[(\d+)\](?: |$)")


def tidy(text: str) -> str:
    return " ".join(text.split())


def assert_fully_cited(answer, corpus_dir: Path) -> None:
    sentences = CITED_SENTENCE.findall(answer.text)
    assert sentences, answer.text
    assert "".join(f"{s} [{n}] " for s, n in sentences).strip() == answer.text
    by_n = {c.n: c for c in answer.citations}
    for sentence, n in sentences:
        citation = by_n[int(n)]
        assert sentence in citation.text  # verbatim: the person's own words
        source = read_source(Path(citation.source))
        assert tidy(source.text[citation.start : citation.end]) == citation.text
        assert Path(citation.source).is_relative_to(corpus_dir)


def test_answers_in_the_persons_own_cited_words(rowan):
    answer = rowan.ask("What do you think of cities?")
    assert not answer.abstained and answer.engine == "quote"
    assert "bumping into people" in answer.text
    assert_fully_cited(answer, ROWAN_DIR)
    assert all(c.speaker in ("ROWAN ADLER", "ADLER", "A", "Rowan Adler") for c in answer.citations)
    assert all(c.date for c in answer.citations)


def test_every_answer_carries_the_disclosure(rowan):
    for question in ("Why trains?", "What is the boiling point of tungsten?"):
        answer = rowan.ask(question)
        assert answer.simulated
        assert answer.disclosure.startswith("Simulated Rowan Adler")
        assert "not the real person" in answer.disclosure


def test_off_topic_questions_are_declined(rowan):
    for question in ("What is the boiling point of tungsten?", "Who won the 1998 World Cup?",
                     "What's the capital of Peru?"):
        answer = rowan.ask(question)
        assert answer.abstained, (question, answer.text)
        assert not answer.citations and "does not" not in answer.text
        assert "recorded words" in answer.text


def test_a_past_question_brings_back_its_real_answer(rowan):
    pair = next(p for p in rowan.store.qa_pairs() if "?" in p["question"] and len(p["question"]) < 200)
    question = tidy(pair["question"])
    answer = rowan.ask(question)
    assert not answer.abstained
    first = rowan.store.passages([answer.citations[0].passage_id])[answer.citations[0].passage_id]
    assert first.turn_id == pair["answer_turn_id"]
    assert answer.citations[0].question is not None


def test_answers_do_not_repeat_themselves(rowan):
    answer = rowan.ask("Why do you prefer trains to planes?")
    sentences = [s for s, _ in CITED_SENTENCE.findall(answer.text)]
    assert len(sentences) == len({s.lower() for s in sentences})
    assert len({c.passage_id for c in answer.citations}) == len(answer.citations)


def test_one_persona_never_answers_with_the_others_words(rowan, wren):
    for question in ("What do you think of cities?", "Do trains beat the alternatives?",
                     "Why do libraries matter?"):
        answer = wren.ask(question)
        if answer.abstained:
            continue
        assert_fully_cited(answer, WREN_DIR)
        rowan_text = tidy(" ".join(p.read_text(encoding="utf-8") for p in ROWAN_DIR.rglob("*.*")))
        for sentence, _ in CITED_SENTENCE.findall(answer.text):
            if len(sentence) > 30:
                assert sentence not in rowan_text
        answer = rowan.ask(question)
        assert_fully_cited(answer, ROWAN_DIR)


def test_interview_is_saved_and_exported(rowan):
    session = rowan.interview()
    session.ask("What do you think of cities?")
    session.ask("What is the boiling point of tungsten?")
    md = rowan.transcript(session.id, "md")
    assert "Simulated Rowan Adler" in md and "not the real person" in md
    assert "## 1. What do you think of cities?" in md and "## 2. What is the boiling point" in md
    assert "2016-09-14-lantern-hours-podcast.txt" in md or "machines-for-bumping" in md
    data = json.loads(rowan.transcript(session.id, "json"))
    assert [e["question"] for e in data["exchanges"]][1].startswith("What is the boiling")
    assert data["exchanges"][1]["abstained"] is True
    assert data["exchanges"][0]["citations"][0]["start"] < data["exchanges"][0]["citations"][0]["end"]
    assert data["disclosure"].startswith("Simulated Rowan Adler")
    # a fresh connection (another process, after a restart) sees the same transcript
    from sosie import Persona

    with Persona.open("rowan", rowan.workspace.parent) as again:
        assert again.transcript(session.id, "md") == md
