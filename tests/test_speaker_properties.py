"""Speaker attribution, property-tested: whatever the transcript convention, ingestion gives the
subject exactly their own words and pairs each answer with its true question.

Why: a double built on someone else's words is worse than no double. Hypothesis writes random
dialogues (names, turn orders, sentences, timestamps) in each of the 13 conventions of
``tests/conventions.py`` and checks what the real Store holds after ``ingest``: the subject's
turns, whitespace-normalised, equal the true subject utterances in order, and each answers the
true question. A failure names the convention and variant and shows the first mismatching turn.
A plain test also checks that every file of the labelled benchmark set (``bench/speakers.py``,
fixed seed) reaches 100% precision and recall.
"""

from __future__ import annotations

import functools
import random
import tempfile
from pathlib import Path

import conventions as cv
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sosie.corpus.store import Store

SEEDS = st.integers(min_value=0, max_value=2**31 - 1)


@st.composite
def dialogues(draw: st.DrawFn, convention: int) -> cv.Dialogue:
    """A random dialogue fit for ``convention``: 1-3 other speakers (a deposition: an examiner
    and perhaps an objecting lawyer), 4-14 turns, never one person twice running, increasing
    times; the subject speaks at least twice, and so do the others."""
    kind = cv.KIND_OF.get(convention, "interview")
    n_others = draw(st.integers(1, 2 if kind == "deposition" else 3))
    subject = draw(st.sampled_from(cv.SUBJECTS))
    others = draw(st.lists(st.sampled_from(cv.OTHERS), min_size=n_others, max_size=n_others, unique=True))
    raw = draw(st.lists(st.integers(0, n_others), min_size=1, max_size=10))
    order = [w for i, w in enumerate(raw) if i == 0 or w != raw[i - 1]]
    # the subject and the others speak at least twice each: a file where every label appears
    # once is too thin to call a transcript (the reader may refuse it as ambiguous)
    while order.count(0) < 2 or len(order) - order.count(0) < 2:
        order.append(1 if order[-1] == 0 else 0)
    qa_tail = draw(st.sampled_from([0, 2, 4])) if kind == "talk" else 0
    if qa_tail:  # end with labelled audience questions and the subject's answers
        asker = draw(st.integers(1, n_others))
        order += [asker, 0] * (qa_tail // 2)
    seeds = draw(st.lists(SEEDS, min_size=len(order), max_size=len(order)))
    gaps = draw(st.lists(st.floats(0.05, 40.0, allow_nan=False), min_size=len(order), max_size=len(order)))
    return cv.assemble(subject, others, order, seeds, kind, gaps, draw(st.sampled_from(cv.TITLES)),
                       seed=draw(SEEDS), qa_tail=qa_tail)


def ingest_and_compare(rendered: cv.Rendered) -> tuple[cv.Found, str | None]:
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "sosie.db")
        try:
            found = cv.ingest_rendered(store, Path(folder), rendered)
        finally:
            store.close()
    return found, cv.mismatch(found, rendered)


@pytest.mark.slow
@pytest.mark.parametrize("convention", list(cv.CONVENTIONS), ids=lambda c: f"c{c:02d}")
@settings(max_examples=6, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_every_convention_gives_the_subject_exactly_their_words(convention: int, data: st.DataObject) -> None:
    dialogue = data.draw(dialogues(convention), label="dialogue")
    variant = data.draw(st.sampled_from(cv.VARIANTS), label="variant")
    rendered = cv.render(dialogue, convention, variant)
    _, problem = ingest_and_compare(rendered)
    assert problem is None, problem + "\n--- the file ---\n" + rendered.data.decode("utf-8")[:3000]


@functools.cache
def bench_files() -> dict[str, cv.Rendered]:
    return {r.truth.case: r for r in cv.bench_set(seed=12)}


@pytest.mark.parametrize("case", [f"{c}{v}" for c, v in cv.CASES])
def test_every_benchmark_file_is_attributed_perfectly(case: str) -> None:
    rendered = bench_files()[case]
    found, problem = ingest_and_compare(rendered)
    result = cv.score(found, rendered.truth)
    assert (result.precision, result.recall) == (1.0, 1.0), (
        f"precision {result.precision:.2%}, recall {result.recall:.2%}: {problem}")


def test_the_truth_follows_the_pairing_rule() -> None:
    """The renderer's own truth: the last question since the subject spoke, else the last turn."""
    turns = [cv.TrueTurn("S", "subject", "first"), cv.TrueTurn("I", "other", "Why?"),
             cv.TrueTurn("C", "other", "Indeed."), cv.TrueTurn("S", "subject", "because"),
             cv.TrueTurn("I", "other", "Noted."), cv.TrueTurn("S", "subject", "so")]
    assert cv.true_qa(turns) == [(None, "first"), ("Why?", "because"), ("Noted.", "so")]
    rng = random.Random(3)
    for convention, variant in cv.CASES:  # every file renders, and its subject speaks
        d = cv.make_dialogue(rng, cv.KIND_OF.get(convention, "interview"), 120,
                             cv.others_for(convention, variant, rng))
        rendered = cv.render(d, convention, variant)
        assert rendered.truth.subject_turns and rendered.data
