"""The held-out split within one source: a persona with one long interview and one essay (the
usual start) is evaluated on blocks of its own exchanges, which no engine and no training sees.
"""

from __future__ import annotations

import pytest
from conftest import PODCAST, ROOT_FIXTURES, ROWAN_DIR

from sosie import Persona
from sosie.corpus.split import BLOCK_EXCHANGES, get_split, held_out_pairs, held_out_turns, make_split
from sosie.errors import SosieError
from sosie.evaluate import EvalOptions, evaluate
from sosie.train.dataset import build_examples


@pytest.fixture(scope="module")
def one_interview(tmp_path_factory) -> Persona:
    home = tmp_path_factory.mktemp("one-interview")
    persona = Persona.create("solo", "Rowan Adler", ["Rowan", "ADLER"], home=home)
    persona.add(PODCAST, ROWAN_DIR / "essays" / "2018-10-22-small-tools-sharp-edges.md")
    persona.build()
    return persona


def test_one_interview_is_split_into_blocks_with_guards(one_interview):
    store = one_interview.store
    sides = get_split(store)
    assert set(sides.values()) == {"train"}  # no whole source is held out
    pairs = held_out_pairs(store, sides)
    hidden = held_out_turns(store)
    first, last, lo, hi = store.db.execute(
        "SELECT first_seq, last_seq, hidden_first_seq, hidden_last_seq FROM eval_blocks").fetchone()
    assert 1 <= len(pairs) <= BLOCK_EXCHANGES * 4 and lo == first - 1 and hi == last + 1
    seqs = dict(store.db.execute("SELECT id, seq FROM turns").fetchall())
    assert {seqs[t] for t in hidden} >= set(range(first, last + 1))  # questions with their answers
    assert get_split(store) == sides  # stored, the same next time


def test_a_held_out_answer_is_never_retrieved(one_interview):
    store = one_interview.store
    sides = get_split(store)
    hidden = held_out_turns(store)
    hidden_passages = {p for ids in store.passage_ids_of_turns(list(hidden)).values() for p in ids}
    pair = max(held_out_pairs(store, sides), key=lambda p: len(p.answer))
    planted = pair.answer.split(". ")[0]
    quote = one_interview.engine("quote")
    assert any(c.passage_id in hidden_passages for c in quote.answer(pair.question).citations)
    with one_interview.holding_out([], hidden):
        blind = quote.answer(pair.question)
        hits = one_interview.index.search(pair.question, k=100)
        similar = one_interview.index.similar_questions(one_interview.index.vectors[0], k=100)
    assert planted not in blind.text
    assert not any(c.passage_id in hidden_passages for c in blind.citations)
    assert not any(h.passage_id in hidden_passages for h in hits)
    assert not any(q.answer_turn_id in hidden for q in similar)


def test_the_evaluation_runs_and_says_how_it_split(one_interview, tmp_path):
    metrics = evaluate(one_interview, EvalOptions(engines=["quote"], offtopic=3, report_dir=tmp_path))
    assert metrics["split"].startswith("within one source (") and metrics["questions"] >= 1
    assert metrics["engines"]["quote"]["beats_random_other"]["mean"] is not None
    assert "within one source" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_training_never_sees_a_held_out_block(one_interview):
    sides = get_split(one_interview.store)
    held = {" ".join(p.answer.split()) for p in held_out_pairs(one_interview.store, sides)}
    examples = build_examples(one_interview)
    trained = {m["content"] for e in examples if e.split == "train" for m in (e.messages or [])
               if m["role"] == "assistant"}
    assert held and not held & trained
    assert held <= {m["content"] for e in examples if e.split == "eval" for m in e.messages or []}


def test_a_changed_source_is_split_again(one_interview, tmp_path):
    store = one_interview.store
    get_split(store)
    store.db.execute("UPDATE eval_blocks SET sha256 = 'changed'")
    store.db.commit()
    get_split(store)
    assert store.db.execute("SELECT COUNT(*) FROM eval_blocks WHERE sha256 = 'changed'").fetchone()[0] == 0


def test_too_few_exchanges_are_refused_in_one_line(tmp_path):
    talk = tmp_path / "short.txt"
    talk.write_text("HOST: Why trains?\n\nADA: Trains beat planes for anything under six hours, "
                    "door to door, and you can work the whole way.\n")
    persona = Persona.create("short", "Ada Example", ["ADA"], home=tmp_path / "home")
    persona.add(talk)
    with pytest.raises(SosieError, match=r"^evaluation needs at least 5 question/answer pairs"):
        make_split(persona.store)


def test_the_judge_is_checked_on_a_control_before_it_judges_an_engine(rowan, wren, tmp_path):
    """Real HTTP model servers (openai_stub) as judges. A sharp one knows Rowan's words and
    Sosie's citation markers: it tells Rowan from Wren (the control) in both orders, so it goes
    on to find the real answer beside the quote engine's. One that always says "1" changes its
    pick with the order: it cannot tell the people apart and gives no verdict."""
    import re

    from openai_stub import StubServer

    from sosie.evaluate.judge import CANNOT_TELL, JudgeOptions

    def words(text: str) -> str:
        return " ".join(re.findall(r"[a-z0-9]+", text.lower()))

    rowans = words(" ".join(rowan.store.passage_texts()))

    def sharp(messages: list[dict]) -> str:
        answers = re.findall(r'^Answer (\d): "(.*)"$', messages[-1]["content"], re.M)
        unmarked = [(n, text) for n, text in answers if not re.search(r"\[\d\]", text)]
        his = [n for n, text in unmarked if words(text)[:80] in rowans]
        return (his or [n for n, _ in unmarked])[0]

    with StubServer(sharp) as sharp_judge, StubServer(lambda messages: "1") as lazy_judge:
        runs = {}
        for label, server in (("sharp", sharp_judge), ("lazy", lazy_judge)):
            runs[label] = evaluate(rowan, EvalOptions(
                engines=["quote"], limit=8, offtopic=1, report_dir=tmp_path / label,
                judge=JudgeOptions("openai", "judge", server.base_url, control="wren")))["judge"]
        assert "Exactly one of these answers was really given by Rowan Adler" in \
            sharp_judge.requests[0]["messages"][-1]["content"]
    sharp, lazy = runs["sharp"], runs["lazy"]
    assert sharp["can_tell"] and sharp["control"]["judged"] == 8 and sharp["control"]["accuracy"] == 1.0
    quote = sharp["engines"]["quote"]
    assert quote["judged"] == 8 and quote["accuracy"] == 1.0 and quote["p_value"] < 0.01
    assert len(sharp_judge.requests) == 4 * 8  # both orders, the control and the engine
    assert not lazy["can_tell"] and lazy["verdict"] == CANNOT_TELL and lazy["engines"] == {}
    assert lazy["control"]["inconsistent"] == 8 and lazy["control"]["picked_first"] == 1.0
    assert "The judge (openai:" in (tmp_path / "sharp" / "report.html").read_text(encoding="utf-8")
    assert CANNOT_TELL in (tmp_path / "lazy" / "report.html").read_text(encoding="utf-8")


def test_an_unknown_judge_is_refused_before_any_engine_runs(rowan, tmp_path):
    from sosie.evaluate.judge import JudgeOptions
    from sosie.evaluate.records import evaluation_tables

    evaluation_tables(rowan.store)
    runs = rowan.store.db.execute("SELECT COUNT(*) FROM eval_runs").fetchone()[0]
    with pytest.raises(SosieError, match=r"^unknown backend 'ollama'; available: "):
        evaluate(rowan, EvalOptions(engines=["quote"], judge=JudgeOptions("ollama"), report_dir=tmp_path))
    assert rowan.store.db.execute("SELECT COUNT(*) FROM eval_runs").fetchone()[0] == runs
    assert not (tmp_path / "report.html").exists()
    # a control persona that does not exist: one line, before any engine runs
    with pytest.raises(SosieError, match=r"nobody") as refused:
        evaluate(rowan, EvalOptions(engines=["quote"], report_dir=tmp_path,
                                    judge=JudgeOptions("openai", "judge", "http://127.0.0.1:9", "nobody")))
    assert "\n" not in str(refused.value)
    assert rowan.store.db.execute("SELECT COUNT(*) FROM eval_runs").fetchone()[0] == runs
    assert not (tmp_path / "report.html").exists()


def test_a_long_hearing_and_a_keynote_are_evaluated_within_the_hearing(tmp_path):
    """The issue's case in the formats people have: one long hearing as the Congressional Record
    prints it (a chair and two senators question the witness) and one keynote with a second
    presenter. Held-out questions are the chair's or a senator's, answers only the witness's words, and
    no held-out answer is ever retrieved."""
    import random

    from conventions import OTHERS, SUBJECTS, assemble, normalise, render, speaker_order

    rng = random.Random(8)
    witness = SUBJECTS[0]  # Ada Okafor, who also speaks in the keynote
    order = speaker_order(rng, 3, 160, "hearing")
    hearing = render(assemble(witness, OTHERS[1:4], order, [rng.randrange(2**31) for _ in order],
                              "hearing"), 8, "a")
    path = tmp_path / hearing.filename
    path.write_bytes(hearing.data)
    persona = Persona.create("witness", witness.full, [witness.last.upper()], home=tmp_path / "home")
    persona.add(path, ROOT_FIXTURES / "transcripts" / "keynote.md")
    persona.build()

    metrics = evaluate(persona, EvalOptions(engines=["quote"], offtopic=3, report_dir=tmp_path / "report"))
    assert metrics["split"].startswith("within one source (") and metrics["questions"] >= 8
    assert 0.0 <= metrics["engines"]["quote"]["beats_random_other"]["mean"] <= 1.0

    store = persona.store
    pairs = held_out_pairs(store, get_split(store))
    truth = {normalise(a): normalise(q) for q, a in hearing.truth.pairs}
    assert all(normalise(p.answer) in truth for p in pairs)  # the witness's words, whole
    assert all(truth[normalise(p.answer)] == normalise(p.question) for p in pairs)  # asked so
    hidden = held_out_turns(store)
    hidden_passages = {p for ids in store.passage_ids_of_turns(list(hidden)).values() for p in ids}
    quote = persona.engine("quote")
    with persona.holding_out([], hidden):
        cited = {c.passage_id for p in pairs for c in quote.answer(p.question).citations}
        retrieved = {h.passage_id for p in pairs for h in persona.index.search(p.question, k=50)}
    assert cited and not cited & hidden_passages and not retrieved & hidden_passages
