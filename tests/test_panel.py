"""Panels: the two demo doubles in one conversation, stored, and never citing each other."""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROWAN_DIR, WREN_DIR, copy_workspace, run_in_process
from openai_stub import StubServer

from sosie import Persona
from sosie.errors import SosieError
from sosie.interview.panel import Panel
from sosie.interview.panel_records import PanelRecords
from sosie.interview.panel_transcript import panel_record, panel_transcript

CORPUS = {"rowan": ROWAN_DIR, "wren": WREN_DIR}


def own_passages_only(turn, demo_home) -> None:
    """Every citation of a double is a passage of its own persona, word for word, from a file
    of its own corpus, and its text is nowhere in the other persona's passages."""
    persona = Persona.open(turn.speaker, demo_home)
    other = Persona.open("wren" if turn.speaker == "rowan" else "rowan", demo_home)
    theirs = {" ".join(r["text"].split()) for r in other.store.all_passages()}
    for c in turn.answer.citations:
        row = persona.store.passages([c.passage_id])[c.passage_id]
        assert row.path == c.source and " ".join(row.text.split()) == c.text
        assert c.source.startswith(str(CORPUS[turn.speaker])), c.source
        assert c.text not in theirs


def test_panel_side_by_side_then_responding(demo_home):
    panel = Panel.start(["rowan", "wren"], demo_home, engine="quote")
    turns = panel.ask("What do you think of cities?", rounds=2)
    assert [(t.kind, t.round, t.speaker) for t in turns] == [
        ("moderator", 1, "Moderator"), ("double", 1, "rowan"), ("double", 1, "wren"),
        ("double", 2, "rowan"), ("double", 2, "wren")]
    assert [t.label for t in turns[1:3]] == ["Simulated Rowan Adler", "Simulated Wren Halloway"]
    for turn in turns[1:]:
        assert turn.answer.simulated and turn.answer.persona == turn.speaker
        assert turn.answer.citations and not turn.answer.abstained
        own_passages_only(turn, demo_home)
    # a response answers the other's last answer, and adds to what the double said before
    assert turns[3].responds_to == [turns[2].id] and turns[4].responds_to == [turns[1].id]
    assert turns[3].text != turns[1].text and turns[4].text != turns[2].text

    # stored as it went: a fresh read gives the same panel, each double with its disclosure
    record = panel_record(panel.id, demo_home)
    assert [t["id"] for t in record["turns"]] == [t.id for t in turns]
    assert {p["persona"]: p["disclosure"] for p in record["participants"] if p["kind"] == "double"} == {
        "rowan": Persona.open("rowan", demo_home).config.disclosure,
        "wren": Persona.open("wren", demo_home).config.disclosure}
    markdown = panel_transcript(panel.id, demo_home)
    for t in record["turns"][1:]:
        assert t["disclosure"] in markdown and t["label"] in markdown
    assert "### Round 2: responding to each other" in markdown
    assert "(responding to Simulated Wren Halloway)" in markdown


def test_addressing_one_double_and_a_real_participant(demo_home):
    panel = Panel.start(["rowan", "wren"], demo_home, engine="quote", human="Ada Example")
    turns = panel.ask("Why do you keep a tide log?", to=["wren"])
    assert [t.speaker for t in turns] == ["Moderator", "wren"]
    # Rowan was not asked, so he alone responds: to Wren's answer
    response = panel.respond()
    assert [(t.speaker, t.round, t.responds_to) for t in response] == [("rowan", 2, [turns[1].id])]
    said = panel.ask("I think the sea is the best teacher.", speaker="Ada Example")
    assert (said[0].kind, said[0].speaker, said[0].label) == ("human", "Ada Example", "Ada Example")
    assert said[0].answer is None and [t.speaker for t in said[1:]] == ["rowan", "wren"]

    resumed = Panel.resume(panel.id, demo_home)  # the cast and the turns come back from disk
    assert resumed.human == "Ada Example" and len(resumed.turns) == len(panel.turns)
    record = panel_record(panel.id, demo_home)
    human = [t for t in record["turns"] if t["kind"] == "human"]
    assert human == [{**human[0], "text": "I think the sea is the best teacher.", "label": "Ada Example"}]
    assert "disclosure" not in human[0] and "citations" not in human[0]  # a person, not a double
    assert "**Ada Example**: a real person taking part" in panel_transcript(panel.id, demo_home)
    with pytest.raises(SosieError, match="'Bob' is not on this panel"):
        panel.ask("Hello?", speaker="Bob")
    with pytest.raises(SosieError, match="no double 'ada' on this panel"):
        panel.ask("Hello?", to=["ada"])


def test_generative_doubles_hear_the_others_as_quotes_never_as_sources(demo_home):
    echoed = "Cities are machines for bumping into people, and I invented the tide log."

    def echo_the_other(messages: list[dict]) -> str:
        # a model that repeats what it was told another double said, then quotes source [1]
        last = messages[-1]["content"]
        source = re.search(r'^\[1\] \([^)]*\) "(.+?)"$', last, re.M)
        first = re.split(r"(?<=[.!?])\s", source.group(1))[0] if source else "I have not."
        return f"{echoed} [1] {first} [1]"

    with StubServer(echo_the_other) as stub:
        options = {"backend": "openai", "model": "stub", "base_url": stub.base_url, "grounding": "strict"}
        panel = Panel.start(["rowan", "wren"], demo_home, engine="generative", **options)
        turns = panel.ask("What do you think of cities?", rounds=2)
        prompts = [r["messages"] for r in stub.requests]
    assert len(prompts) == 4
    first_round, responses = prompts[:2], prompts[2:]
    assert not any("On this panel" in m["content"] for p in first_round for m in p)
    for prompt, turn in zip(responses, turns[3:], strict=True):
        other = turns[2] if turn.speaker == "rowan" else turns[1]
        system = prompt[0]["content"]
        assert "On this panel" not in system  # quoted context in the question, never a rule
        heard = prompt[-1]["content"]
        assert f"- {other.label}: " in heard and "never cite them" in heard
        assert heard.index("On this panel") < heard.index("Sources (")
    for turn in turns[1:]:
        own_passages_only(turn, demo_home)
        assert "invented the tide log" not in turn.text  # strict: words no source of theirs holds
        assert all(s["tag"] in ("verbatim", "supported") for s in turn.answer.support)


def test_bad_panels_are_one_line_errors(demo_home, tmp_path):
    with pytest.raises(SosieError, match="'rowan' is named twice"):
        Panel.start(["rowan", "rowan"], demo_home)
    with pytest.raises(SosieError, match="at least 2 personas"):
        Panel.start(["rowan"], demo_home)
    with pytest.raises(SosieError, match="no persona 'nobody'"):
        Panel.start(["rowan", "nobody"], demo_home)
    with pytest.raises(SosieError, match=r"'rowan adler' is the name of a panel voice already \(Rowan"):
        Panel.start(["rowan", "wren"], demo_home, human="rowan adler")
    with pytest.raises(SosieError, match="rounds must be 1 to 5"):
        Panel.start(["rowan", "wren"], demo_home).ask("Why?", rounds=9)
    home = tmp_path / "home"
    copy_workspace(demo_home / "rowan", home / "rowan")
    Persona.create("bare", "Bare Example", home=home).close()  # no sources, no index
    for args in (["rowan", "bare"], ["rowan", "rowan"], ["rowan", "ghost"], ["rowan"]):
        done = run_in_process("panel", *args, "--question", "Why?", home=home)
        assert done.returncode == 1, done.stdout
        assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("error: ")
    assert "'bare' has no index yet; run: sosie build bare" in run_in_process(
        "panel", "rowan", "bare", "-q", "Why?", home=home).stderr
    assert not (home / "panels.db").exists() or not PanelRecords.open(home).all()  # nothing half-made


def test_cli_panel_and_moderator(demo_home, tmp_path, monkeypatch):
    done = run_in_process("panel", "rowan", "wren", "--question", "Why do trains matter?", "--rounds", "2",
                          home=demo_home)
    assert done.returncode == 0, done.stderr
    assert "Simulated Rowan Adler" in done.stdout and "Simulated Wren Halloway" in done.stdout
    assert "round 2: responding to each other" in done.stdout
    panel_id = int(re.search(r"Saved as panel (\d+)", done.stdout).group(1))
    shown = run_in_process("transcript", "--panel", str(panel_id), "--format", "json", home=demo_home)
    record = json.loads(shown.stdout)
    assert [t["round"] for t in record["turns"]] == [1, 1, 1, 2, 2]

    script = "\n".join(["@wren Why do you keep a tide log?", "/next",
                        "Ada Example: @rowan Would you live on an island?", "@nobody hi", ""])
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(script))
    from typer.testing import CliRunner

    from sosie.cli import app

    done = CliRunner().invoke(app, ["panel", "rowan", "wren", "--moderator", "--with-human", "Ada Example",
                                    "--home", str(demo_home)], input=script)
    assert done.exit_code == 0, done.output
    assert "no double 'nobody' on this panel" in done.stderr  # said, and the panel goes on
    panel_id = int(re.search(r"Saved as panel (\d+)", done.stdout).group(1))
    turns = panel_record(panel_id, demo_home)["turns"]
    assert [(t["kind"], t["speaker"], t["round"]) for t in turns] == [
        ("moderator", "Moderator", 1), ("double", "wren", 1), ("double", "rowan", 2),
        ("human", "Ada Example", 1), ("double", "rowan", 1)]
    assert turns[3]["text"] == "Would you live on an island?" and turns[3]["to"] == ["rowan"]
    for flags in (["--question", "x", "--moderator"], []):
        bad = run_in_process("panel", "rowan", "wren", *flags, home=demo_home)
        assert bad.returncode == 1 and bad.stderr.startswith("error: ")
