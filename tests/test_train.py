"""Fine-tuning: the dataset respects the held-out split; a real LoRA run on the bundled SmolLM2
(CPU, a few steps on short examples); resume; the fine-tuned engine; GGUF and Modelfile export."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import copy_workspace, run_cli

from sosie import Persona
from sosie.engines.backends import bundled_gguf
from sosie.engines.backends.openai_compat import OpenAIBackend
from sosie.errors import SosieError
from sosie.evaluate.protocol import EvalOptions, evaluate
from sosie.export.gguf import merge_and_export, write_gguf
from sosie.export.modelfile import parse_modelfile
from sosie.train.dataset import build_examples, held_out_sources, question_writer, write_dataset
from sosie.train.trainer import META, load_base, train

TINY = dict(max_steps=4, batch_size=2, max_length=128, eval_every=2, learning_rate=1e-3, seed=0)


def test_the_dataset_never_trains_on_held_out_sources(rowan, tmp_path, model_stub):
    held_out = held_out_sources(rowan)
    assert held_out  # the demo has interviews enough for a split
    ask = question_writer(OpenAIBackend(model="stub", base_url=model_stub.base_url))
    examples = build_examples(rowan, synthetic=3, ask_model=ask)
    train_ex = [e for e in examples if e.split == "train"]
    eval_ex = [e for e in examples if e.split == "eval"]
    assert train_ex and eval_ex
    assert not {e.source for e in train_ex} & held_out
    assert {e.source for e in eval_ex} <= held_out
    kinds = {e.kind for e in train_ex}
    assert kinds == {"chat", "text", "synthetic"}
    assert any(len(e.messages) > 3 for e in train_ex if e.kind == "chat")  # multi-turn kept together
    for e in examples:
        if e.messages:
            roles = [m["role"] for m in e.messages]
            assert roles[0] == "system" and roles[-1] == "assistant"
            assert roles[1:] == ["user", "assistant"] * ((len(roles) - 1) // 2)

    summary = write_dataset(rowan, examples, tmp_path)
    openai_rows = [json.loads(x) for x in (tmp_path / "train.openai.jsonl").read_text().splitlines()]
    hf_rows = [json.loads(x) for x in (tmp_path / "train.hf.jsonl").read_text().splitlines()]
    assert all(set(r) == {"messages"} for r in openai_rows)  # OpenAI's format, nothing else
    assert len(hf_rows) == summary["splits"]["train"]["examples"] == len(train_ex)
    assert sum(r["synthetic"] for r in hf_rows) == 3
    assert all(r["kind"] == "synthetic" for r in hf_rows if r["synthetic"])
    assert "held-out" in (tmp_path / "card.md").read_text().lower()
    eval_names = {s["name"] for s in summary["splits"]["eval"]["sources"]}
    assert eval_names == {Path(p).name for p in held_out}


@pytest.mark.slow
def test_dataset_command_writes_the_files(demo_home, tmp_path):
    result = run_cli("dataset", "rowan", "--out", str(tmp_path), home=demo_home)
    assert result.returncode == 0, result.stderr
    assert {p.name for p in tmp_path.iterdir()} == {
        "train.openai.jsonl", "train.hf.jsonl", "eval.openai.jsonl", "eval.hf.jsonl", "card.md", "card.json"}
    card = json.loads((tmp_path / "card.json").read_text())
    assert card["splits"]["train"]["tokens"] > card["splits"]["train"]["answer_words"]


@pytest.mark.slow
def test_train_commands_explain_what_is_missing(demo_home):
    result = run_cli("merge", "wren", home=demo_home)
    assert result.returncode == 1 and "sosie train wren" in result.stderr
    assert result.stderr.count("\n") == 1
    result = run_cli("train", "wren", "--resume", home=demo_home)
    assert result.returncode == 1 and "no checkpoint" in result.stderr
    result = run_cli("train", "wren", "--base-model", "./no/such/model", home=demo_home)
    assert result.returncode == 1 and result.stderr == "error: no base model at ./no/such/model: " \
        "give a local model folder (or a hub id)\n"


@pytest.fixture(scope="module")
def trained(demo_home, tmp_path_factory):
    """Rowan (a copy), LoRA-trained for four steps on the bundled SmolLM2, on the CPU."""
    home = tmp_path_factory.mktemp("train-home")
    copy_workspace(demo_home / "rowan", home / "rowan")
    persona = Persona.open("rowan", home)
    settings = dataclasses.replace(persona.config.train, **TINY)
    steps = []
    report = train(persona, settings, progress=lambda *seen: steps.append(seen))
    yield persona, settings, report, steps
    persona.close()


@pytest.mark.slow
def test_lora_training_learns_and_saves_a_portable_adapter(trained):
    persona, _, report, steps = trained
    assert report.steps == 4 and [s[0] for s in steps] == [1, 2, 3, 4] and steps[-1][2] is not None
    assert steps[-1][3] is not None  # the periodic held-out eval loss reached the progress bar
    assert report.train_loss_after < report.train_loss_before  # it learned the person's words
    assert report.eval_loss_before is not None and report.eval_loss_after is not None
    assert report.tokens > 0 and report.tokens_per_s > 0 and report.device == "cpu"
    adapter = persona.workspace / "adapter"
    assert (adapter / "adapter_model.safetensors").is_file()
    for name in ("adapter_config.json", META, "README.md"):  # nothing ties it to this machine
        text = (adapter / name).read_text()
        assert str(persona.workspace) not in text and "site-packages" not in text, name
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == "bundled:SmolLM2-135M-Instruct"
    meta = json.loads((adapter / META).read_text())
    trained_on = {s["sha256"] for s in meta["trained_on"]}
    held = {s["sha256"] for s in meta["held_out"]}
    assert trained_on and held and not trained_on & held
    assert meta["disclosure"] in (adapter / "README.md").read_text()


@pytest.mark.slow
def test_training_resumes_from_its_last_checkpoint(trained):
    persona, settings, first, _ = trained
    longer = dataclasses.replace(settings, max_steps=6)
    report = train(persona, longer, resume=True)
    assert report.resumed_from == "checkpoint-4" and report.steps == 6
    assert 0 < report.tokens < first.tokens  # only the two new steps were trained in this run
    with pytest.raises(SosieError, match="no base model"):  # a failed start loses nothing
        train(persona, dataclasses.replace(settings, base_model="/no/such/model"))
    assert (persona.workspace / "train" / "checkpoints" / "checkpoint-6").is_dir()


@pytest.mark.slow
def test_the_same_seed_trains_the_same_adapter(demo_home, tmp_path):
    from safetensors.numpy import load_file

    weights = []
    for run in ("a", "b"):
        home = tmp_path / run
        copy_workspace(demo_home / "wren", home / "wren")
        with Persona.open("wren", home) as persona:
            train(persona, dataclasses.replace(persona.config.train, **{**TINY, "max_steps": 2}))
            weights.append(load_file(str(persona.workspace / "adapter" / "adapter_model.safetensors")))
    assert weights[0].keys() == weights[1].keys()
    assert all(np.array_equal(weights[0][k], weights[1][k]) for k in weights[0])


@pytest.mark.slow
def test_the_finetuned_engine_answers_with_retrieval_and_tags(trained):
    persona, *_ = trained
    persona.config.generative.max_new_tokens = 24
    answer = persona.ask("What do you think about trains?", engine="finetuned")
    assert answer.engine == "finetuned" and "not the real person" in answer.disclosure
    assert answer.text and answer.support  # every sentence tagged against the retrieved sources
    assert {s["tag"] for s in answer.support} <= {"verbatim", "supported", "extrapolated"}
    off_topic = persona.ask("What is the boiling point of tungsten?", engine="finetuned")
    assert off_topic.abstained

    from sosie.serve import create_app  # served once an adapter exists

    card = create_app([persona]).app.state.hosts["rowan"].card()
    assert "finetuned" in card["engines"] and "sosie/rowan:finetuned" in card["models"]


@pytest.mark.slow
def test_evaluation_scores_the_finetuned_double_and_refuses_a_leaky_one(trained, tmp_path):
    persona, *_ = trained
    metrics = evaluate(persona, EvalOptions(engines=["finetuned"], limit=2, offtopic=1,
                                            max_new_tokens=12, report_dir=tmp_path / "ok"))
    assert "finetuned" in metrics["engines"]
    meta_file = persona.workspace / "adapter" / META
    saved = meta_file.read_text()
    meta = json.loads(saved)
    meta["trained_on"] += meta["held_out"]  # pretend it saw the held-out interview
    meta_file.write_text(json.dumps(meta))
    try:
        with pytest.raises(SosieError, match="held-out"):
            evaluate(persona, EvalOptions(engines=["finetuned"], limit=2, offtopic=1,
                                          report_dir=tmp_path / "leak"))
    finally:
        meta_file.write_text(saved)


@pytest.mark.slow
def test_the_base_survives_the_gguf_round_trip(tmp_path):
    """Every tensor written back equals the original GGUF's (the query/key permutation is right)."""
    from gguf import GGUFReader
    from gguf.quants import dequantize

    model, _ = load_base("bundled:SmolLM2-135M-Instruct", for_training=False)
    out = write_gguf(model, bundled_gguf(), tmp_path / "base.gguf", {"sosie.persona": "test"})
    original = {t.name: t for t in GGUFReader(str(bundled_gguf())).tensors}
    written = GGUFReader(str(out)).tensors
    assert [t.name for t in written] == list(original)
    for tensor in written:
        source = original[tensor.name]
        expected = dequantize(source.data, source.tensor_type).reshape(np.asarray(tensor.data).shape)
        assert np.abs(np.asarray(tensor.data, dtype=np.float32) - expected).max() < 4e-3, tensor.name


@pytest.mark.slow
def test_merge_writes_a_gguf_and_a_modelfile_that_load_back(trained, tmp_path):
    from gguf import GGUFReader

    persona, *_ = trained
    files = merge_and_export(persona, tmp_path)
    reader = GGUFReader(str(files["gguf"]))
    assert len(reader.tensors) == len(GGUFReader(str(bundled_gguf())).tensors)
    assert str(reader.fields["sosie.disclosure"].contents()) == persona.config.disclosure
    assert "im_start" in str(reader.fields["tokenizer.chat_template"].contents())
    parsed = parse_modelfile(files["modelfile"].read_text())
    instructions = [name for name, _ in parsed]
    assert instructions[0] == "FROM" and {"TEMPLATE", "SYSTEM", "PARAMETER"} <= set(instructions)
    source = dict(parsed)["FROM"]
    assert (files["modelfile"].parent / source).resolve() == files["gguf"].resolve()
    assert persona.config.disclosure in dict(parsed)["SYSTEM"]
    assert ("PARAMETER", 'stop "<|im_end|>"') in parsed
    try:
        from llama_cpp import Llama  # the [llama] extra (make test-all)
    except ImportError:
        return
    llm = Llama(str(files["gguf"]), n_ctx=256, verbose=False)
    reply = llm.create_chat_completion([{"role": "user", "content": "Hello"}], max_tokens=8)
    assert reply["choices"][0]["message"]["content"] is not None


def test_modelfile_parser_rejects_what_ollama_would():
    with pytest.raises(SosieError, match="unknown instruction"):
        parse_modelfile("FROM x.gguf\nFROMAGE y\n")
    with pytest.raises(SosieError, match="unclosed"):
        parse_modelfile('FROM x\nSYSTEM """never closed\n')
