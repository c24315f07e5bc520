"""One registry: built-in engines and backends come from entry points, like a plug-in's, and
an option an engine or backend does not declare is refused with the valid ones."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

from sosie import registry
from sosie.engines import engine_for, make_engine
from sosie.errors import SosieError


def test_built_ins_are_entry_points_like_any_plug_in():
    engines = {ep.name: ep.value for ep in entry_points(group="sosie.engines")}
    assert engines["quote"] == "sosie.engines.quote:QuoteEngine"
    assert {"quote", "generative", "finetuned", "baseline"} <= set(registry.names("engine"))
    assert registry.names("backend") == ["llama-cpp-python", "llamacpp", "openai", "transformers"]


def test_unknown_options_and_names_are_refused_with_what_is_valid(rowan):
    with pytest.raises(SosieError) as caught:
        make_engine("quote", rowan, backend="openai")
    assert str(caught.value) == "unknown option backend for engine 'quote'; valid: as_of, timeline"
    with pytest.raises(SosieError, match=r"unknown option temprature for engine 'generative'; valid: "
                                         r"backend, model, base_url, max_new_tokens"):
        make_engine("generative", rowan, temprature=0.2)
    with pytest.raises(SosieError, match=r"unknown backend 'ollama'; available: llama-cpp-python, llamacpp, "
                                         r"openai, transf"):
        registry.make("backend", "ollama")
    with pytest.raises(SosieError, match="unknown engine 'oracle'"):
        engine_for(rowan, "oracle")


def test_a_plug_in_registered_at_run_time_joins_by_name(rowan):
    class Echo:
        name = "echo-test"

        def __init__(self, workspace):
            self.workspace = workspace

    registry.register("engine", "echo-test", Echo)
    try:
        assert "echo-test" in registry.names("engine")
        assert engine_for(rowan, "echo-test").workspace is rowan
        with pytest.raises(SosieError, match="valid: none"):
            make_engine("echo-test", rowan, model="x")
    finally:
        registry.unregister("engine", "echo-test")
