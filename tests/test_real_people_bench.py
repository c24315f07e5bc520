"""The real-people bench's own measures (bench/real_people.py), on the real records it reads.

The bench says "0% of the answers' words are other people's": that number is only worth
something if the measure finds a reporter's words when they are there. The double itself runs
in the bench (minutes), not here.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("real_people_bench", ROOT / "bench" / "real_people.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["real_people_bench"] = module
    spec.loader.exec_module(module)
    return module


def test_a_reporters_question_counts_as_other_peoples_words_and_her_answer_does_not(bench):
    person = bench.gold.person("psaki")
    exchange = next(e for e in bench.gold.gold_exchanges(person)
                    if len(e.question.split()) > 20 and len(e.answer.split()) > 20)
    voices = bench.Voices(person)
    others, total = voices.others_words(exchange.question)
    assert total and others / total > 0.8, exchange.question
    assert voices.others_words(exchange.answer)[0] == 0
    mixed = f"{exchange.answer} [1] {exchange.question}"
    others, total = voices.others_words(mixed)
    assert 0 < others < total


def test_wilson_intervals_stay_inside_zero_and_one(bench):
    assert bench.wilson(0, 10)[0] == 0.0 and bench.wilson(10, 10)[1] == 1.0
    low, high = bench.wilson(41, 50)
    assert 0.68 < low < 0.70 and 0.89 < high < 0.91
