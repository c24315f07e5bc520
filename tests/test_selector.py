"""The answer selector: the sentence that answers opens the answer, and it can stand alone."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
from conftest import ROOT_FIXTURES

import sosie.engines.selector as selector_module
from sosie import Persona
from sosie.corpus.sentences import sentence_spans
from sosie.engines.quote import QuoteEngine
from sosie.engines.selector import AnswerMap, Selector, leans_back
from sosie.index.embedder import embed, embed_query

CITED_SENTENCE = re.compile(r"(.+?) \[(\d+)\](?: |$)")


def sentences_of(answer) -> list[str]:
    return [s for s, _ in CITED_SENTENCE.findall(answer.text)]


@pytest.mark.parametrize(("question", "words"), [
    ("Why do libraries matter so much to you?", ("librar",)),
    ("What happened the winter you lost Cloud?", ("cloud", "outage", "winter")),
    ("Why do you prefer trains to planes?", ("train", "plane", "fly", "flight")),
])
def test_the_first_sentence_addresses_the_question(rowan, question, words):
    answer = rowan.ask(question)
    first = sentences_of(answer)[0]
    assert any(w in first.lower() for w in words), (question, answer.text)
    assert not leans_back(first)


def test_no_answer_opens_on_a_sentence_that_leans_on_another(rowan):
    questions = ["Why do you prefer trains to planes?", "What do you think of cities?",
                 "How do you decide who to hire?", "What is wrong with long meetings?",
                 "What do you think about AI?", "Do you ride a bike?"]
    for question in questions:
        answer = rowan.ask(question)
        for n in range(1, len(answer.citations) + 1):  # each cited run opens on its own feet
            opening = next(s for s, m in CITED_SENTENCE.findall(answer.text) if int(m) == n)
            assert not leans_back(opening), (question, answer.text)


def test_leaning_sentences():
    for sentence in ("I do.", "Anyway.", "Yes.", "No.", "That's why.", "It was the winter.",
                     "So we stopped.", "This is the part nobody likes.", "But nobody asked."):
        assert leans_back(sentence), sentence
    for sentence in ("Libraries are the last free indoor place in most towns.",
                     "I prefer trains because you can read on them."):
        assert not leans_back(sentence), sentence


def test_answers_run_about_as_long_as_the_persons(rowan):
    target = Selector(rowan).target_words(rowan.config.retrieval.max_words)
    median = rowan.profile()["answer_length"]["median"]
    assert 40 <= target <= median
    answer = rowan.ask("What do you think of cities?")
    assert 0.5 * target <= len(answer.text.split()) <= 1.6 * target, answer.text


def test_the_answer_map_never_sees_held_out_pairs(rowan):
    held = "2021-11-20-radio-interview.txt"
    path = next(r[0] for r in rowan.store.db.execute("SELECT path FROM sources") if r[0].endswith(held))
    everything = AnswerMap.fit(rowan)
    with rowan.holding_out([path]):
        hidden = AnswerMap.fit(rowan)
        assert not rowan.index.question_allowed.all()
    assert everything is not None and hidden is not None
    assert not np.allclose(everything.q_mean, hidden.q_mean)  # fitted on fewer pairs
    assert rowan.index.question_allowed is None  # outside the block nothing stays hidden
    qv = embed_query("Why did you step down?")
    assert abs(float(np.linalg.norm(hidden.predict(qv))) - 1.0) < 1e-4


def test_a_hearing_transcript_answers_with_the_witness_line(tmp_path):
    """Real-format fixture, not the demo: a committee hearing; the witness is the subject."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT_FIXTURES / "transcripts" / "congressional-record.txt", corpus)
    with Persona.create("okafor", "Dr. Okafor", ["Okafor", "Dr. OKAFOR"], home=tmp_path / "home") as p:
        p.add(corpus)
        p.build()
        answer = p.ask("What do you need from this committee?")
        assert not answer.abstained, answer.text
        first = sentences_of(answer)[0]
        assert "funding" in first.lower() or "kiln" in first.lower(), answer.text
        assert not leans_back(first)


def test_sentences_are_indexed_with_the_build_and_nothing_is_embedded_to_answer(rowan, monkeypatch):
    index = rowan.index
    pid = int(index.passage_ids[0])
    text = rowan.store.passages([pid])[pid].text
    spans, vectors = index.sentences(pid)
    assert spans == sentence_spans(text) and len(vectors) == len(spans)
    first = " ".join(text[spans[0][0]:spans[0][1]].split())
    assert float(vectors[0] @ embed([first])[0]) > 0.99  # the vector of that very sentence
    assert index.manifest["sentences"] == len(index.sentence_vectors)

    def no_embedding(texts, **_):
        raise AssertionError(f"embedded at question time: {texts[:1]}")

    monkeypatch.setattr(selector_module, "embed", no_embedding)
    answer = QuoteEngine(rowan).answer("What do you think of cities?")
    assert "bumping into people" in answer.text  # the whole answer, not one line of it


def test_max_passages_is_the_most_passages_one_answer_stitches_together(rowan):
    """``[quote] max_passages`` (default 3) caps the runs the selector joins into one answer."""
    from sosie.engines.retrieval import retrieve

    settings = rowan.config.retrieval
    assert settings.max_passages == 3
    selector, most = Selector(rowan), 0
    for question in ("What do you think of cities?", "How do you decide who to hire?", "Do you ride a bike?",
                     "What is wrong with long meetings?", "What do you think about AI?", "Why trains?"):
        found = retrieve(rowan, question, settings)
        qv, relevance = found.question_vector, dict(found.relevance)
        rows = rowan.store.passages(list(relevance))
        runs = selector.choose(qv, relevance, rows, settings.max_words, 3)
        most = max(most, len(runs))
        for cap in (1, 2):
            capped = selector.choose(qv, relevance, rows, settings.max_words, cap)
            assert len(capped) <= cap and capped == runs[:len(capped)], question
    assert most >= 2  # the cap was reached for at least one question
