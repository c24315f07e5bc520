"""Answers that answer: asked a yes/no question, the person's own "No." stays at the front.

Pinned on real question/answer pairs of the real-people bench (tests/real/people.py, read by the
independent gold parsers): a Fed chairman at a House hearing, a Fed chair at a press
conference, a Marine Corps commandant in an oral history. The selector once dropped the direct
answer and kept only what followed it, so the double no longer answered the question.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "real"))
import people  # noqa: E402

from sosie.corpus.sentences import sentence_spans  # noqa: E402
from sosie.engines.selector import Selector, asks_yes_or_no, is_direct  # noqa: E402
from sosie.index.embedder import embed  # noqa: E402

pytestmark = pytest.mark.slow  # reads the gold of whole records and loads the embedding model


def real_exchange(key: str, source_name: str, question_start: str):
    person = people.person(key)
    source = next(s for s in person.sources if s.path.name == source_name)
    for exchange in people._exchanges(person, source):
        if question_start in exchange.question:
            return exchange
    raise AssertionError(f"{question_start!r} is not asked in {source_name}")


EXCHANGES = [
    ("bernanke", "bernanke-2006-02-15-house.htm", "Do you have a crystal ball", "No."),
    ("powell", "FOMCpresconf20190731.pdf", "Is this your effort to try to damp down", "No."),
    ("chapman", "chapman-usmc-oral-history.pdf", "Do you recall what caused these shortages", "Yes."),
]


@pytest.mark.parametrize(("key", "source", "asked", "direct"), EXCHANGES)
def test_the_direct_answer_opens_every_run_that_takes_what_follows_it(key, source, asked, direct):
    exchange = real_exchange(key, source, asked)
    assert asks_yes_or_no(exchange.question)
    text = exchange.answer
    spans = sentence_spans(text)
    assert text[spans[0][0]:spans[0][1]] == direct and is_direct(direct)
    vectors = embed([text[s:e] for s, e in spans])
    qv = embed([exchange.question])[0]
    runs = Selector.windows(1, text, spans, vectors, qv, None, target=90, direct_opening=True)
    taking_the_next = [r for r in runs if spans[1] in r.spans]
    assert taking_the_next and all(r.spans[0] == spans[0] for r in taking_the_next)
    assert all(len(r.sentences) > 1 for r in runs if r.spans[0] == spans[0])  # never "No." alone
    # the same reply to a question that is not yes/no: the short "No." does not open a run
    plain = Selector.windows(1, text, spans, vectors, qv, None, target=90, direct_opening=False)
    assert all(r.spans[0] != spans[0] for r in plain)


def test_yes_no_questions_are_told_from_the_others_on_real_questions():
    person = people.person("bernanke")
    questions = [e.question for e in people.gold_exchanges(person)]
    flagged = [q for q in questions if asks_yes_or_no(q)]
    assert 0.05 < len(flagged) / len(questions) < 0.6
    assert not asks_yes_or_no("What is the outlook for inflation?")
    assert asks_yes_or_no("Thank you, Mr. Chairman. Would you agree with that?")
    assert np.all([q.rstrip().endswith("?") or "?" in q for q in flagged])


def test_a_question_about_the_past_turns_the_preference_for_the_later_view_off():
    """Asked what he said then, the double may cite the earlier view; asked now, the later wins."""
    from sosie.engines.selector import asks_about_the_past, recency_for

    powell = people.person("powell")
    asked = [e.question for e in people.gold_exchanges(powell, held_out_only=False) if "?" in e.question]
    then = next(q for q in asked if "back in June of 2020, you said" in q)
    assert asks_about_the_past(then) and recency_for(then, 0.1) == 0.0
    flagged = sum(asks_about_the_past(q) for q in asked)
    assert 0 < flagged < 0.1 * len(asked)  # most questions ask about now
    assert recency_for("Where is inflation heading?", 0.1) == 0.1
    assert not asks_about_the_past("I mean, do you push back in any way on those?")
