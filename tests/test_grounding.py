"""Grounding modes, check and repair, style constraints and partial coverage.

The model is a real OpenAI-compatible HTTP server on loopback (``openai_stub``) whose replies
each test writes, so what the check does to a given answer is pinned exactly; the real small
models' behaviour is measured by ``sosie eval`` and ``bench/generate.py``.
"""

from __future__ import annotations

import re

import pytest
from openai_stub import INVENTED, SOURCE, StubServer, choices

from sosie.engines.choosing import NumberStream, chosen_text
from sosie.engines.generative import GenerativeEngine
from sosie.engines.grounding import strip_assistant
from sosie.engines.selector import leans_back
from sosie.errors import SosieError
from sosie.evaluate import EvalOptions, evaluate
from sosie.evaluate.protocol import engine_spec

EVERY_SOURCE = re.compile(r'^\[\d+\] \([^)]*\) "(.+?)"$', re.M)
REGENERATE = re.compile(r'^Source \[(\d+)\] \([^)]*\): "(.+?)"$', re.M)


def sentences_of(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.replace(" …", "")) if s]


def first_source_sentence(messages: list[dict]) -> str:
    found = SOURCE.search(messages[-1]["content"])
    return sentences_of(found.group(1))[0]


def quote_then_invent_then_fix(messages: list[dict]) -> str:
    """The answer quotes [1] and invents; asked again with the evidence, it keeps to it; asked
    for numbers (strict), the first number, then the same invention."""
    if choices(messages):
        return f"1 {INVENTED}"
    again = REGENERATE.search(messages[-1]["content"])
    if again:
        return max(sentences_of(again.group(2)), key=len)  # the evidence's own words
    return f"{first_source_sentence(messages)} [1] {INVENTED}"


def engine(persona, server: StubServer, grounding: str) -> GenerativeEngine:
    return GenerativeEngine(persona, backend="openai", model="stub", base_url=server.base_url,
                            grounding=grounding)


def claims(answer) -> list[str]:
    return [s["tag"] for s in answer.support if s["tag"] not in ("note", "declined")]


def test_strict_says_the_persons_sentences_the_model_chose_by_number(rowan):
    picked: list[str] = []

    def two_backwards_then_invent(messages: list[dict]) -> str:
        standing = [(n, text) for n, text in choices(messages) if not leans_back(text)][:2]
        picked[:] = [text for _, text in reversed(standing)]
        return ", ".join(str(n) for n, _ in reversed(standing)) + " " + INVENTED

    with StubServer(two_backwards_then_invent) as server:
        answer = engine(rowan, server, "strict").answer("What do you think of cities?")
        shown = server.requests[-1]["messages"]
    system, asked = shown[0]["content"], shown[-1]["content"]
    assert "reply with the numbers of the sentences" in system and "really said, numbered:" in asked
    assert len(picked) == 2 and answer.text.startswith(picked[0]) and picked[1] in answer.text
    assert picked[0] in answer.text.split(picked[1])[0]  # in the model's order
    assert answer.grounding == "strict" and "unicycle" not in answer.text
    assert set(claims(answer)) <= {"verbatim", "supported"}
    cited = {c.n: c.text for c in answer.citations}
    for entry in answer.support:  # every sentence is a real one of the passage it cites
        assert entry["sentence"].rstrip(".!?") in cited[entry["citations"][0]]
    [change] = [r for r in answer.repairs if "unicycle" in r["sentence"]]
    assert change["action"] == "dropped" and "model's own words" in change["why"]


def test_balanced_regenerates_once_with_the_evidence(rowan):
    with StubServer(quote_then_invent_then_fix) as server:
        answer = engine(rowan, server, "balanced").answer("What do you think of cities?")
        asked_again = [r for r in server.requests if "Rewrite this sentence" in r["messages"][-1]["content"]]
    assert len(asked_again) == 1 and INVENTED in asked_again[0]["messages"][-1]["content"]
    assert "unicycle" not in answer.text
    [fixed] = [s for s in answer.support if s.get("repair") == "regenerated"]
    assert fixed["tag"] in ("verbatim", "supported") and fixed["citations"]
    assert [r["action"] for r in answer.repairs] == ["regenerated"]


def test_the_transcript_says_what_the_check_changed(rowan):
    with StubServer(quote_then_invent_then_fix) as server:
        session = rowan.interview("generative", backend="openai", model="stub",
                                  base_url=server.base_url, grounding="balanced")
        session.ask("What do you think of cities?")
    transcript = rowan.transcript(session.id, "md")
    assert "Checked in `balanced` mode; sentences regenerated 1." in transcript
    assert "unicycle" not in transcript


def test_balanced_drops_what_is_still_unsupported_after_one_try(rowan):
    def stubborn(messages: list[dict]) -> str:
        if "Rewrite this sentence" in messages[-1]["content"]:
            return "I also juggled flaming torches on the moon."
        return f"{first_source_sentence(messages)} [1] {INVENTED}"

    with StubServer(stubborn) as server:
        answer = engine(rowan, server, "balanced").answer("What do you think of cities?")
    assert "unicycle" not in answer.text and "moon" not in answer.text
    assert [r["action"] for r in answer.repairs] == ["dropped"]
    assert claims(answer) and set(claims(answer)) <= {"verbatim", "supported"}


def test_free_keeps_the_models_words_and_tags_them(rowan):
    with StubServer(quote_then_invent_then_fix) as server:
        answer = engine(rowan, server, "free").answer("What do you think of cities?")
    assert "unicycle" in answer.text and claims(answer)[-1] == "extrapolated"
    assert answer.repairs == []


def test_assistant_phrases_go_and_the_persons_openings_stay(rowan):
    def assistant(messages: list[dict]) -> str:
        return f"Great question! In summary, {first_source_sentence(messages)} [1] I hope this helps!"

    with StubServer(assistant) as server:
        answer = engine(rowan, server, "free").answer("What do you think of cities?")
    assert not re.search(r"great question|in summary|hope this helps", answer.text, re.I)
    assert {r["action"] for r in answer.repairs} == {"dropped", "restyled"}
    assert strip_assistant("Look, in summary it works.", {"look"}) == ("Look, in summary it works.", False)
    assert strip_assistant("Overall, it works.", {"overall"}) == ("Overall, it works.", False)
    assert strip_assistant("Overall, it works.", set()) == ("It works.", True)


def test_an_answer_is_cut_to_the_persons_usual_length(rowan):
    def rambling(messages: list[dict]) -> str:  # every number, twice over
        return ", ".join(str(n) for n, _ in choices(messages) * 2)

    # a person who answers briefly: the demo's own p90 (~240 words) is longer than the sources
    profile = {**rowan.profile(), "answer_length": {"median": 30, "p90": 40}}
    cap = 40
    with StubServer(rambling) as server:
        brief = engine(rowan, server, "strict")
        brief.profile = lambda: profile
        answer = brief.answer("Why do trains beat planes?")
        assert "answers in about 30 words" in server.requests[-1]["messages"][0]["content"]
    kept = [s["sentence"] for s in answer.support]
    assert len(" ".join(kept[:-1]).split()) <= cap  # the last kept sentence may cross the line
    assert len(kept) == len({k.lower() for k in kept})  # a repeated sentence is said once
    assert any(r.get("why") == "longer than the person answers" for r in answer.repairs)


def test_a_short_strict_answer_goes_on_in_the_persons_words(rowan):
    with StubServer(lambda messages: "1") as server:
        answer = engine(rowan, server, "strict").answer("What do you think of cities?")
    target = int(0.8 * rowan.profile()["answer_length"]["median"])
    added = [s for s in answer.support if s.get("repair") == "added"]
    assert added and all(s["tag"] == "verbatim" and s["citations"] for s in added)
    cited = {c.n: c.text for c in answer.citations}
    assert all(s["sentence"].rstrip(".!?") in cited[s["citations"][0]] for s in added)
    words = sum(len(s["sentence"].split()) for s in answer.support)
    assert words >= target or len(added) >= 3
    assert any(r["action"] == "added" and r["why"] == "shorter than the person answers"
               for r in answer.repairs)


def test_an_off_topic_question_never_reaches_the_model(rowan):
    with StubServer(quote_then_invent_then_fix) as server:
        answer = engine(rowan, server, "strict").answer("What is the boiling point of tungsten?")
        assert server.requests == []
    assert answer.abstained and answer.citations == []


def test_a_part_the_record_does_not_cover_is_named(rowan):
    question = "Why do trains beat planes, and what is the boiling point of tungsten?"
    with StubServer(quote_then_invent_then_fix) as server:
        answer = engine(rowan, server, "strict").answer(question)
        prompt = server.requests[-1]["messages"][-1]["content"]
    assert 'nothing on this part of the question: "what is the boiling point of tungsten?"' in prompt
    note = answer.support[-1]
    assert note["tag"] == "note" and "tungsten" in note["sentence"] and not note["citations"]
    assert answer.text.endswith(note["sentence"]) and not answer.abstained
    assert any(t == "verbatim" for t in claims(answer))  # the covered part is answered


def test_a_double_that_says_the_record_is_silent_is_not_repaired(rowan):
    with StubServer(lambda messages: "I haven't talked about that.") as server:
        answer = engine(rowan, server, "strict").answer("What do you think of cities?")
    assert answer.text == "I haven't talked about that." and answer.abstained
    assert answer.support[0]["tag"] == "declined" and answer.repairs == []


def test_an_unknown_mode_is_refused_in_one_line(rowan):
    with pytest.raises(SosieError, match=r"^unknown grounding mode 'loose'; use strict, balanced, free$"):
        GenerativeEngine(rowan, backend="openai", model="stub", base_url="http://127.0.0.1:9/v1",
                         grounding="loose")
    assert engine_spec("generative:balanced") == ("generative", "balanced")
    with pytest.raises(SosieError, match="engine 'quote' has no grounding modes"):
        engine_spec("quote:strict")
    with pytest.raises(SosieError, match="unknown grounding mode"):
        engine_spec("generative:loose")


@pytest.mark.slow
def test_one_evaluation_compares_the_modes(rowan, tmp_path):
    with StubServer(quote_then_invent_then_fix) as server:
        metrics = evaluate(rowan, EvalOptions(
            engines=["generative:strict", "generative:free"], limit=3, offtopic=3,
            backend="openai", model="stub", base_url=server.base_url, report_dir=tmp_path))
    strict, free = metrics["engines"]["generative:strict"], metrics["engines"]["generative:free"]
    assert strict["grounding"]["mean"] == 1.0 and free["grounding"]["mean"] < 1.0
    assert strict["offtopic_declined"]["mean"] == 1.0
    assert strict["assistant_phrases"]["mean"] == 0.0 and free["repairs_per_answer"]["mean"] == 0.0
    assert "generative:strict" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_numbers_become_sentences_and_a_leaning_one_only_follows_its_own():
    trains, why, fix = "Trains beat planes under six hours.", "That is why.", "I fix what nobody asked."
    candidates = [(1, trains), (1, why), (2, fix)]
    assert chosen_text("3, 1, 2", candidates) == f"{fix} [2] {trains} [1] {why} [1]"
    assert chosen_text("2, 3", candidates) == f"{fix} [2]"  # "That is why." without its reason
    assert chosen_text("9, 3, 3, 0", candidates) == f"{fix} [2]"  # unknown and repeated numbers
    streamed: list[str] = []
    stream = NumberStream(candidates, streamed.append)
    for piece in ["3", ", 1", ", 2"]:
        stream(piece)
    assert streamed == [f"{fix} [2]", f" {trains} [1]"]  # "2" may be the start of "25": not yet
    stream(" and that is all.")
    assert "".join(streamed) == chosen_text("3, 1, 2", candidates)
