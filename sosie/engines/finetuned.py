"""The fine-tuned engine: the generative engine, answering with the person's LoRA adapter.

Everything but the model is the generative engine's: retrieval, numbered sources, citations,
the sentence-by-sentence support tags and abstention. The adapter (``sosie train``) lives in
``WORKSPACE/adapter``; it is merged into a fresh copy of its base model once per process.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sosie.engines.backends.hf import TransformersBackend
from sosie.engines.generative import GenerativeEngine
from sosie.engines.loading import ADAPTER, META, load_merged, model_identity, resolve_base
from sosie.errors import SosieError

if TYPE_CHECKING:
    from sosie.workspace import Workspace

_loading = threading.Lock()


def finetuned_backend(adapter: Path, context_tokens: int = 2048) -> TransformersBackend:
    """The transformers backend over the adapter merged into its base (loaded once per process)."""
    weights = adapter / "adapter_model.safetensors"
    if not weights.is_file():
        raise SosieError(f"no fine-tuned adapter in {adapter}; run: sosie train {adapter.parent.name}")
    with _loading:
        model, tokenizer = load_merged(str(adapter), weights.stat().st_mtime_ns)
    return TransformersBackend.over(model, tokenizer, str(adapter), context_tokens)


def finetuned_identity(adapter: Path, person: str) -> dict:
    """``{"backend", "name", "file", "sha256", "adapter"}``: the base model as ``model_identity``
    names it, and the adapter (``{"name", "file", "sha256", "trained_at"}``)."""
    meta = json.loads((adapter / META).read_text(encoding="utf-8")) if (adapter / META).is_file() else {}
    reference = meta.get("base_model") or "unknown base model"
    try:
        base = model_identity(resolve_base(reference))
    except SosieError:
        base = {"name": reference, "file": None, "sha256": None}
    if base["file"] is None:  # a hub id or a folder: the reference says more than its last part
        base["name"] = reference
    weights = adapter / "adapter_model.safetensors"
    return {"backend": TransformersBackend.name, **base, "adapter": {
        "name": f"{person}'s LoRA adapter", "file": weights.name,
        "sha256": model_identity(weights)["sha256"] if weights.is_file() else None,
        "trained_at": meta.get("created_at")}}


class FinetunedEngine(GenerativeEngine):
    name = "finetuned"

    @dataclass
    class Options:
        """The adapter fixes the model: no backend or model to choose; only the grounding mode."""

        grounding: str | None = None
        as_of: str | None = None

    def __init__(self, workspace: Workspace, grounding: str | None = None, as_of: str | None = None):
        backend = finetuned_backend(workspace.workspace / ADAPTER, workspace.config.generative.context_tokens)
        super().__init__(workspace, grounding=grounding, as_of=as_of, backend_instance=backend)
        self.identity = finetuned_identity(workspace.workspace / ADAPTER, workspace.config.name)

    def model_info(self, role: str) -> dict:
        """The base model and the adapter trained on the person's words, both named."""
        return {**self.identity, "role": role}

    @staticmethod
    def available(workspace: Workspace) -> bool:
        return (workspace.workspace / ADAPTER / "adapter_model.safetensors").is_file()
