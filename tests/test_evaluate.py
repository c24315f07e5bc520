"""The fidelity evaluation on the demo persona: split, no leakage, metrics, report, quiz."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from conftest import SOSIE, run_cli

from sosie import registry
from sosie.engines.base import Answer
from sosie.evaluate import EvalOptions, evaluate, get_split, held_out_pairs, reword
from sosie.evaluate.quiz import new_quiz_id, quiz_items, quiz_summary, record_pick
from sosie.evaluate.report import HEADERS, summary_rows

PNG = b"\x89PNG\r\n\x1a\n"


def test_split_is_by_source_seeded_and_stored(rowan):
    sides = get_split(rowan.store)
    assert get_split(rowan.store) == sides
    test = {p for p, s in sides.items() if s == "test"}
    train = {p for p, s in sides.items() if s == "train"}
    assert test and train and not test & train
    pairs = held_out_pairs(rowan.store, sides)
    assert pairs and all(p.source in test for p in pairs)
    stored = rowan.store.db.execute("SELECT COUNT(*) FROM eval_split WHERE side='test'").fetchone()[0]
    assert stored == len(test)


def test_a_planted_answer_cannot_be_copied_during_evaluation(rowan):
    sides = get_split(rowan.store)
    test = [p for p, s in sides.items() if s == "test"]
    pair = max(held_out_pairs(rowan.store, sides), key=lambda p: len(p.answer))
    planted = pair.answer.split(". ")[0]
    quote = rowan.engine("quote")
    copied = quote.answer(pair.question)  # outside the evaluation the real answer is right there
    assert any(c.source in test for c in copied.citations)
    with rowan.holding_out(test):
        blind = quote.answer(pair.question)
        hits = rowan.index.search(pair.question, k=50)
        similar = rowan.index.similar_questions(rowan.index.vectors[0], k=100)
    assert not any(c.source in test for c in blind.citations)
    assert planted not in blind.text
    rows = rowan.store.passages([h.passage_id for h in hits])
    assert not any(rows[h.passage_id].path in test for h in hits)
    test_turns = {r[0] for r in rowan.store.db.execute(
        f"SELECT t.id FROM turns t JOIN sources s ON s.id = t.source_id WHERE s.path IN "
        f"({','.join('?' * len(test))})", test)}
    assert not any(q.answer_turn_id in test_turns for q in similar)
    # and after the run everything is visible again
    assert any(c.source in test for c in quote.answer(pair.question).citations)


def test_reword_changes_the_words_not_the_question():
    assert reword("What do you think of cities?") == "How do you feel about cities?"
    assert reword("Why do you ride a bike?") == "What makes you ride a bike?"
    assert reword("Welcome to the show. It is good to have you. Do you miss the job?") == \
        "Would you say you miss the job?"
    assert reword("Tell me about Gus.") != "Tell me about Gus."


@pytest.fixture(scope="module")
def evaluation(rowan, tmp_path_factory):
    report = tmp_path_factory.mktemp("report")
    options = EvalOptions(engines=["quote", "generative", "baseline"], limit=6, offtopic=4,
                          max_new_tokens=24, report_dir=report)
    return evaluate(rowan, options), report


@pytest.mark.slow
def test_full_protocol_metrics_are_valid(evaluation):
    metrics, _ = evaluation
    assert metrics["questions"] == 6 and set(metrics["engines"]) == {"quote", "generative", "baseline"}
    for name, m in metrics["engines"].items():
        for key in ("attribution_rate", "rouge_l", "offtopic_declined", "answerable_declined"):
            assert 0.0 <= m[key]["mean"] <= 1.0, (name, key)
        for key in ("attribution_rate", "rouge_l", "delta", "content_similarity", "consistency"):
            assert m[key]["low"] <= m[key]["mean"] <= m[key]["high"], (name, key)
        assert -1.0 <= m["content_similarity"]["mean"] <= 1.0
        assert m["delta"]["mean"] > 0 and m["delta_pooled"] > 0 and len(m["delta_per_answer"]) == 6
        assert m["seconds_per_100_questions"] > 0
    quote, baseline = metrics["engines"]["quote"], metrics["engines"]["baseline"]
    assert quote["grounding"]["mean"] == 1.0  # quotes are verbatim by construction
    assert baseline["grounding"]["mean"] == 0.0 and baseline["offtopic_declined"]["mean"] == 0.0
    assert quote["offtopic_declined"]["mean"] >= 0.75
    q, b = quote["attribution_rate"]["mean"], baseline["attribution_rate"]["mean"]
    assert b < q, f"baseline attribution {b:.2f} is not below the quote engine's {q:.2f}"
    g = metrics["engines"]["generative"]["attribution_rate"]["mean"]
    assert b <= g, f"baseline attribution {b:.2f} above the generative engine's {g:.2f} (SmolLM2-135M)"


@pytest.mark.slow
def test_report_files_are_written_and_load(evaluation, rowan):
    metrics, report = evaluation
    assert json.loads((report / "metrics.json").read_text())["engines"].keys() == metrics["engines"].keys()
    rows = [json.loads(line) for line in (report / "answers.jsonl").read_text().splitlines()]
    assert sum("question" in r for r in rows) == 6 and sum("offtopic" in r for r in rows) == 4
    page = (report / "report.html").read_text()
    assert "not the real person" in page and "Burrows" in page and "data:image/png;base64," in page
    for name in ("metrics.png", "delta.png"):
        assert (report / name).read_bytes()[:8] == PNG
    assert rowan.store.db.execute("SELECT COUNT(*) FROM eval_runs").fetchone()[0] >= 1
    # Burrows' Delta both ways: the mean of per-answer Deltas, and all the answers pooled
    pooled = HEADERS.index("Burrows' Delta of all answers pooled")
    for row in summary_rows(metrics):
        name = row[0]
        if name in metrics["engines"]:
            assert row[pooled] == f"{metrics['engines'][name]['delta_pooled']:.3f}"
    assert "pooled into one text" in page


@pytest.mark.slow
def test_quiz_scores_picks_against_chance(evaluation, rowan):
    run_id, items = quiz_items(rowan, k=3, seed=1)
    assert items and all(len(i.options) == 3 for i in items)
    assert all(i.options[i.real_index]["by"] == "real" for i in items)
    quiz = new_quiz_id()
    assert record_pick(rowan, quiz, run_id, items[0], items[0].real_index) is True
    assert record_pick(rowan, quiz, run_id, items[1], (items[1].real_index + 1) % 3) is False
    summary = quiz_summary(rowan, quiz)
    assert summary["answered"] == 2 and summary["correct"] == 1
    assert summary["accuracy"] == 0.5 and abs(summary["chance"] - 1 / 3) < 1e-9
    assert 0.0 < summary["p_value"] <= 1.0
    env = dict(os.environ, SOSIE_HOME=str(rowan.workspace.parent))
    result = subprocess.run([str(SOSIE), "quiz", "rowan", "--rounds", "2"], input="1\n2\n",
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "real recorded answer" in result.stdout
    assert "accuracy" in result.stdout and "vs chance 0.33" in result.stdout


def test_an_engine_added_later_joins_by_name(rowan, tmp_path):
    class Parrot:
        name = "parrot-test"

        def __init__(self, persona):
            self.persona = persona

        def answer(self, question, history=(), on_token=None):
            return Answer(question=question, text="Look, the boring answer is usually the right one.",
                          persona=self.persona.slug, engine=self.name,
                          disclosure=self.persona.config.disclosure)

    registry.register("engine", "parrot-test", Parrot)
    try:
        metrics = evaluate(rowan, EvalOptions(engines=["parrot-test"], limit=3, offtopic=2,
                                              report_dir=tmp_path / "r"))
    finally:
        registry.unregister("engine", "parrot-test")
    assert metrics["engines"]["parrot-test"]["offtopic_declined"]["mean"] == 0.0
    assert metrics["engines"]["parrot-test"]["grounding"]["n"] == 0


@pytest.mark.slow
def test_eval_command_prints_the_table_and_writes_the_report(rowan, tmp_path):
    result = run_cli("eval", "rowan", "--engines", "quote", "--limit", "3", "--offtopic", "3",
                     "--report", str(tmp_path / "r"), home=rowan.workspace.parent)
    assert result.returncode == 0, result.stderr
    assert "Is it Rowan Adler?" in result.stdout and "quote" in result.stdout
    assert (tmp_path / "r" / "report.html").is_file()
    bad = run_cli("eval", "rowan", "--engines", "nonsense", "--limit", "2", home=rowan.workspace.parent)
    assert bad.returncode == 1 and "unknown engine 'nonsense'" in bad.stderr


@pytest.mark.slow
def test_eval_and_quiz_explain_what_is_missing(home, tmp_path):
    essay = tmp_path / "essay.md"
    essay.write_text("Trains beat planes for anything under six hours.\n")
    run_cli("new", "ada", "--name", "Ada Example", home=home)
    run_cli("add", "ada", str(essay), home=home)
    run_cli("build", "ada", home=home)
    result = run_cli("eval", "ada", "--engines", "quote", home=home)
    assert result.returncode == 1 and "evaluation needs question/answer pairs" in result.stderr
    result = run_cli("quiz", "ada", home=home)
    assert result.returncode == 1 and "sosie eval ada" in result.stderr
