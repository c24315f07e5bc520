"""The fine-tuned engine: the generative engine, answering with the person's LoRA adapter.

Everything but the model is the generative engine's: retrieval, numbered sources, citations,
the sentence-by-sentence support tags and abstention. The adapter (``sosie train``) lives in
``WORKSPACE/adapter``; it is merged into a fresh copy of its base model once per process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sosie.engines.backends.hf import TransformersBackend, special_tokens
from sosie.engines.control import register_control_tokens
from sosie.engines.generative import GenerativeEngine
from sosie.engines.loading import ADAPTER, load_merged
from sosie.errors import SosieError

if TYPE_CHECKING:
    from sosie.workspace import Workspace

_loading = threading.Lock()


class FinetunedBackend(TransformersBackend):
    """The transformers backend over the merged model (not registered: the engine makes it)."""

    name = "finetuned"

    def __init__(self, adapter: Path, context_tokens: int = 2048):
        # not the parent's __init__: that one loads a model by path, this one base + adapter merged
        weights = adapter / "adapter_model.safetensors"
        if not weights.is_file():
            raise SosieError(f"no fine-tuned adapter in {adapter}; run: sosie train {adapter.parent.name}")
        with _loading:
            self.model, self.tokenizer = load_merged(str(adapter), weights.stat().st_mtime_ns)
        self.model_path = str(adapter)
        register_control_tokens(special_tokens(self.tokenizer))  # neutralised in every prompt
        limit = getattr(self.model.config, "max_position_embeddings", context_tokens) or context_tokens
        self.context_tokens = min(context_tokens, limit)


class FinetunedEngine(GenerativeEngine):
    name = "finetuned"

    @dataclass
    class Options:
        """The adapter fixes the model: no backend or model to choose."""

    def __init__(self, persona: Workspace):
        backend = FinetunedBackend(persona.workspace / ADAPTER, persona.config.generative.context_tokens)
        super().__init__(persona, backend_instance=backend)

    @staticmethod
    def available(persona: Workspace) -> bool:
        return (persona.workspace / ADAPTER / "adapter_model.safetensors").is_file()
