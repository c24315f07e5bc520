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
        assert heard.index("On this panel") < heard.index("really said, numbered:")
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


# -- exports ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def staged(demo_home) -> int:
    """A stored panel with a real participant and a round of responses (quote engine)."""
    panel = Panel.start(["rowan", "wren"], demo_home, engine="quote", human="Ada Example")
    panel.ask("What do you think of cities?", rounds=2)
    panel.ask("I think the sea is the best teacher.", speaker="Ada Example")
    panel.ask("What is the boiling point of tungsten?")  # both abstain
    return panel.id


def disclosures(demo_home) -> list[str]:
    return [Persona.open(slug, demo_home).config.disclosure for slug in ("rowan", "wren")]


def test_panel_script_has_one_character_per_voice_and_its_own_sources(demo_home, staged, tmp_path):
    from screenplain.parsers.fountain import parse
    from screenplain.types import Dialog

    from sosie.export.panel import export_panel

    path = export_panel(staged, "script", tmp_path / "panel.fountain", demo_home)
    text = path.read_text(encoding="utf-8")
    cues = [str(p.character) for p in parse(__import__("io").StringIO(text)) if isinstance(p, Dialog)]
    assert set(cues) == {"MODERATOR", "ADA EXAMPLE", "ROWAN ADLER (SIMULATED)", "WREN HALLOWAY (SIMULATED)"}
    assert cues[:6] == ["MODERATOR", "ROWAN ADLER (SIMULATED)", "WREN HALLOWAY (SIMULATED)",
                        "ROWAN ADLER (SIMULATED)", "WREN HALLOWAY (SIMULATED)", "ADA EXAMPLE"]
    for disclosure in disclosures(demo_home):
        assert f"!SUPER: {disclosure}" in text
    # every speech's source notes name files of that double's own corpus only
    for block in text.split("\n\n"):
        speaker, _, rest = block.partition("\n")
        if speaker.endswith("(SIMULATED)") and "[[Sources:" in block:
            slug = "rowan" if speaker.startswith("ROWAN") else "wren"
            other = CORPUS["wren" if slug == "rowan" else "rowan"]
            files = re.findall(r"\[\d+\] ([^,]+),", rest)
            own = {p.name for p in CORPUS[slug].rglob("*.*")}
            assert files and set(files) <= own and not set(files) & {p.name for p in other.rglob("*.*")}
    pdf = export_panel(staged, "script", tmp_path / "panel.pdf", demo_home)
    from pypdf import PdfReader

    printed = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages)
    assert all(d in printed for d in disclosures(demo_home)) and "ADA EXAMPLE" in printed


@pytest.mark.parametrize("suffix", [".srt", ".vtt", ".md", ".json"])
def test_panel_transcripts_and_subtitles(demo_home, staged, tmp_path, suffix):
    import webvtt

    done = run_in_process("export", "--panel", str(staged), "-f", "transcript", "--out",
                          str(tmp_path / f"panel{suffix}"), home=demo_home)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / f"panel{suffix}").read_text(encoding="utf-8")
    for disclosure in disclosures(demo_home):
        assert disclosure in " ".join(text.split())
    if suffix == ".json":
        assert json.loads(text) == panel_record(staged, demo_home)
    if suffix in (".srt", ".vtt"):
        captions = webvtt.from_buffer(__import__("io").StringIO(text), format=suffix[1:]).captions
        said = [c.voice if suffix == ".vtt" else c.text.partition(": ")[0] for c in captions[4:]]
        labels = {"Moderator", "Simulated Rowan Adler", "Simulated Wren Halloway", "Ada Example"}
        assert set(said) == (labels if suffix == ".vtt" else {label.upper() for label in labels})
        assert not any(re.search(r"\[\d+\]", c.text) for c in captions)


def test_panel_cards_for_group_chats(demo_home, staged, tmp_path):
    from sosie.export.cards import read_card
    from sosie.export.cards.validate import validate

    done = run_in_process("export", "--panel", str(staged), "-f", "ccv3", "--out", str(tmp_path / "cards"),
                          home=demo_home)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "cards" / "panel.json").read_text(encoding="utf-8"))
    assert manifest["cards"] == ["rowan.ccv3.png", "wren.ccv3.png"]
    for slug, other in (("rowan", "Wren Halloway"), ("wren", "Rowan Adler")):
        card = read_card(tmp_path / "cards" / f"{slug}.ccv3.png")
        assert validate(card) == []
        data = card["data"]
        disclosure = Persona.open(slug, demo_home).config.disclosure
        greeting = data["group_only_greetings"][0]
        assert greeting.startswith(disclosure) and other in greeting
        assert data["extensions"]["sosie"]["panel"]["with"][0]["name"] == other
        # the card is the persona's own: its sources are its own corpus's files
        own = {p.name for p in CORPUS[slug].rglob("*.*")}
        assert {s["name"] for s in data["extensions"]["sosie"]["sources"]} <= own


def test_panel_read_aloud_with_a_generic_voice_per_double(demo_home, staged, tmp_path):
    from sosie.export.speech import PANEL_VOICES, transcript_script

    roles = [role for role, _ in transcript_script(panel_record(staged, demo_home))]
    assert {"double:0", "double:1", "human", "interviewer", "narrator"} == set(roles)
    assert PANEL_VOICES[0] != PANEL_VOICES[1]
    wav = tmp_path / "panel.wav"
    done = run_in_process("speak", "--panel", str(staged), "--out", str(wav), home=demo_home)
    assert done.returncode == 0, done.stderr
    assert wav.read_bytes()[:4] == b"RIFF"


def test_bad_panel_exports(demo_home, staged, tmp_path):
    for args, message in (
        (["--panel", "99999", "-f", "script"], "no panel 99999"),
        (["--panel", str(staged), "-f", "modelfile"], "a panel exports as transcript, script, ccv3"),
        (["rowan", "--panel", str(staged), "-f", "script"], "name no persona"),
        (["--panel", str(staged), "-f", "transcript", "--out", str(tmp_path / "p.txt")], "a transcript is"),
    ):
        done = run_in_process("export", *args, home=demo_home)
        assert done.returncode == 1 and message in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


# -- the API and the web page ----------------------------------------------------------------------
def test_panel_api_starts_responds_and_keeps_each_double_to_its_own_passages(served):
    import httpx

    url = served.url
    made = httpx.post(f"{url}/api/panels", json={"personas": ["rowan", "wren"], "rounds": 2,
                                                 "question": "What do you think of cities?",
                                                 "engine": "quote", "human": "Ada Example"}, timeout=60)
    assert made.status_code == 201, made.text
    record = made.json()
    assert len(record["added"]) == 5 and [t["round"] for t in record["turns"]] == [1, 1, 1, 2, 2]
    for turn in record["turns"][1:]:
        for c in turn["citations"]:
            passage = httpx.get(f"{url}/api/personas/{turn['persona']}/passages/{c['passage_id']}").json()
            assert passage["path"].startswith(str(CORPUS[turn["persona"]]))
            assert " ".join(passage["text"].split()) == c["text"]
    panel_id = record["panel"]
    more = httpx.post(f"{url}/api/panels/{panel_id}/turns", json={"respond": True}, timeout=60).json()
    assert [t["round"] for t in more["turns"] if t["id"] in more["added"]] == [3, 3]
    said = httpx.post(f"{url}/api/panels/{panel_id}/turns", timeout=60,
                      json={"question": "Would you live on an island?", "speaker": "Ada Example",
                            "to": ["rowan"]}).json()
    assert [(t["kind"], t["speaker"]) for t in said["turns"] if t["id"] in said["added"]] == [
        ("human", "Ada Example"), ("double", "rowan")]
    assert httpx.get(f"{url}/api/panels/{panel_id}").json()["turns"] == said["turns"]
    markdown = httpx.get(f"{url}/api/panels/{panel_id}/transcript?format=md").text
    assert "Simulated Wren Halloway" in markdown and "**Ada Example**: a real person" in markdown
    assert any(p["id"] == panel_id for p in httpx.get(f"{url}/api/panels").json())
    spec = httpx.get(f"{url}/openapi.json").json()
    assert {"/api/panels", "/api/panels/{panel_id}", "/api/panels/{panel_id}/turns"} <= set(spec["paths"])

    for body, status, message in (
        ({"personas": ["rowan", "rowan"], "question": "Why?"}, 400, "named twice"),
        ({"personas": ["rowan"], "question": "Why?"}, 400, "at least 2 personas"),
        ({"personas": ["rowan", "ghost"], "question": "Why?"}, 404, "no persona 'ghost' is served"),
        ({"personas": ["rowan", "wren"], "question": "Why?", "engine": "nope"}, 400, "'nope' is not served"),
        ({"personas": ["rowan", "wren"], "question": "Why?", "rounds": 9}, 400, "rounds"),
    ):
        bad = httpx.post(f"{url}/api/panels", json=body, timeout=60)
        assert bad.status_code == status and message in bad.json()["error"]["message"], bad.text
    bad = httpx.post(f"{url}/api/panels/{panel_id}/turns", json={"question": "Hi", "speaker": "Bob"})
    assert bad.status_code == 400 and "'Bob' is not on this panel" in bad.json()["error"]["message"]
    assert httpx.post(f"{url}/api/panels/999999/turns", json={"respond": True}).status_code == 404


@pytest.mark.slow
def test_the_panel_page_side_by_side_respond_and_open_each_doubles_own_source(served, page):
    from playwright.sync_api import expect

    page.goto(served.url + "/panel")
    expect(page.locator("#personas input")).to_have_count(2)
    expect(page.locator("#disclosure")).to_contain_text("simulation")
    page.select_option("#engine", "quote")
    page.fill("#question", "What do you think of cities?")
    page.click("#send")
    columns = page.locator(".panel-round").first.locator(".a")
    expect(columns).to_have_count(2, timeout=30_000)
    expect(columns.nth(0).locator(".who")).to_contain_text("Simulated Rowan Adler")
    expect(columns.nth(1).locator(".who")).to_contain_text("Simulated Wren Halloway")
    expect(columns.nth(1).locator(".disclosure-line")).to_contain_text("not the real person")
    # side by side: the two answers share a row on a desktop screen
    boxes = [columns.nth(i).bounding_box() for i in range(2)]
    assert abs(boxes[0]["y"] - boxes[1]["y"]) < 2 and boxes[0]["x"] < boxes[1]["x"]

    page.click("#respond")
    expect(page.locator(".panel-round")).to_have_count(2, timeout=30_000)
    expect(page.locator(".panel-round").nth(1).locator(".who").first).to_contain_text("responding to")

    # Wren's citation opens Wren's passage (the two personas' passage ids overlap)
    columns.nth(1).locator("button.cite").first.click()
    dialog = page.locator("#citation")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(str(WREN_DIR))
    expect(dialog).not_to_contain_text(str(ROWAN_DIR))
    page.keyboard.press("Escape")
    with page.expect_download() as download:
        page.click("#download-json")
    record = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert [t["round"] for t in record["turns"]] == [1, 1, 1, 2, 2]


# -- evaluation ------------------------------------------------------------------------------------
def test_eval_panel_attributes_each_doubles_lines_to_the_right_person(demo_home, tmp_path):
    from sosie.evaluate.panel import PanelEvalOptions, evaluate_panel

    options = PanelEvalOptions(per_person=4, rounds=2, engine="quote", report_dir=tmp_path / "report")
    metrics = evaluate_panel(["rowan", "wren"], demo_home, options)
    matrix = metrics["confusion"]["matrix"]
    assert metrics["confusion"]["labels"] == ["rowan", "wren"]
    assert sum(map(sum, matrix)) == metrics["lines"] >= 12
    # each double's lines go mostly to its own person: the voices do not blur into one
    for i, row in enumerate(matrix):
        assert row[i] > sum(row) - row[i], matrix
    assert metrics["accuracy"]["mean"] >= 0.75 and metrics["p_value"] < 0.01
    assert metrics["accuracy"]["low"] > metrics["chance"]
    # the passages the panel quoted were kept out of the classifier's training
    record = panel_record(metrics["panel"], demo_home)
    cited = {(t["persona"], c["passage_id"]) for t in record["turns"] if t["kind"] == "double"
             for c in t["citations"]}
    assert metrics["held_out_passages"] == len(cited) > 0
    report = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert "| Simulated Rowan Adler | " in report and "simulation" in report
    assert (tmp_path / "report" / "confusion.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "report" / "metrics.json").read_text())["confusion"]["matrix"] == matrix

    # a stored panel is scored as it is; too few lines is a one-line error
    again = run_in_process("eval-panel", "--panel", str(metrics["panel"]), "--report", str(tmp_path / "r2"),
                           home=demo_home)
    assert again.returncode == 0, again.stderr
    assert "Simulated Wren Halloway" in again.stdout and "chance 50%" in again.stdout
    short = Panel.start(["rowan", "wren"], demo_home, engine="quote")
    short.ask("What do you think of cities?")
    done = run_in_process("eval-panel", "--panel", str(short.id), home=demo_home)
    assert done.returncode == 1 and "at least 4 are needed" in done.stderr
    done = run_in_process("eval-panel", "rowan", "wren", "--panel", "1", home=demo_home)
    assert done.returncode == 1 and done.stderr.startswith("error: ")
    empty = tmp_path / "questions.txt"
    empty.write_text("# only a comment\n\n", encoding="utf-8")
    done = run_in_process("eval-panel", "rowan", "wren", "--questions", str(empty), home=demo_home)
    assert done.returncode == 1 and "no questions in it" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    for command in (["interview", "rowan"], ["eval-panel", "rowan", "wren"]):  # one reader for both
        done = run_in_process(*command, "--questions", str(tmp_path / "missing.txt"), home=demo_home)
        assert done.returncode == 1 and "cannot read the questions file" in done.stderr


def test_a_generative_response_brings_what_the_double_has_not_said_yet(demo_home):
    def quote_source_one(messages: list[dict]) -> str:  # a model that picks the first sentence
        return "1"

    with StubServer(quote_source_one) as stub:
        options = {"backend": "openai", "model": "stub", "base_url": stub.base_url, "grounding": "strict"}
        panel = Panel.start(["rowan", "wren"], demo_home, engine="generative", **options)
        turns = panel.ask("Why do you prefer trains to planes?", rounds=2)
    first = {t.speaker: t for t in turns if t.round == 1 and t.kind == "double"}
    responses = {t.speaker: t for t in turns if t.round == 2}
    for slug, response in responses.items():
        assert response.answer.citations and response.text != first[slug].text
    # Rowan's large corpus has more on it: his response brings passages he had not used
    before = {c.passage_id for c in first["rowan"].answer.citations}
    assert {c.passage_id for c in responses["rowan"].answer.citations} - before
